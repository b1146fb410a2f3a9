#include "streamer/app.h"

int main(int argc, char** argv) { return sattva::streamer::RunMain(argc, argv); }
