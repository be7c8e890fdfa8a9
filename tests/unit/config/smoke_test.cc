#include <gtest/gtest.h>
#include "config/config.h"
TEST(Smoke, Demo) {
  auto r = rampart::config::load_string(rampart::config::embedded_demo_config(), "<embedded>");
  for (auto& e : r.errors) ADD_FAILURE() << e.to_string();
  EXPECT_TRUE(r.ok());
}
