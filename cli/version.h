#ifndef MOETOP_VERSION
#define MOETOP_VERSION "0.1.0"
#endif
