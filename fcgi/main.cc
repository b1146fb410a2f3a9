#include "fcgi/app.h"
int main(int argc, char** argv) { return sattva::fcgi::RunMain(argc, argv); }
