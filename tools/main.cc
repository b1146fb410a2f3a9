#include "tools/ctl.h"

int main(int argc, char** argv) { return sattva::ctl::RunMain(argc, argv); }
