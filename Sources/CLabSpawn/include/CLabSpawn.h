#ifndef CLABSPAWN_H
#define CLABSPAWN_H
// Process spawning for the native runtime (fork/exec with a parent-death signal and a
// process group of its own). Implemented in spawn.c.
int clabspawn_version(void);
#endif
