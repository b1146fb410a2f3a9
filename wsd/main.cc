#include "wsd/app.h"

int main(int argc, char** argv) { return sattva::wsd::RunMain(argc, argv); }
