// Tests of the supervision library.
