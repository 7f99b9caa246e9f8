// Only a declaration lives here (include/fuzz_driver.h); SwiftPM wants a source file for a C target.
#include "fuzz_driver.h"
