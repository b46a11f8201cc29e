#include "api_dest.h"
#include "api_jobspec.h"
#include "testing.h"
TEST(rfc3339)
{
    CHECK(api_rfc3339_valid("2026-11-23T10:15:30Z"));
}
