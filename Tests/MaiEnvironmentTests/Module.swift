// Tests of environment loading (issue 3).
