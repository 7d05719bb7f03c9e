#include "CLabSpawn.h"
int clabspawn_version(void) { return 1; }
