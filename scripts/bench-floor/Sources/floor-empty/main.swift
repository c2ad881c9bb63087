import Glibc

// An empty program with Glibc: what the loader and the Swift runtime cost alone.
exit(0)
