#include "testing.h"
TEST(placeholder_compiles) { CHECK(1); }
