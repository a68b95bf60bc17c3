// The helpers are static inline functions in include/csupport.h; SwiftPM needs a source
// file in every C target.
#include "csupport.h"
