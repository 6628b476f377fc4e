int main(void) { return 77; /* not written yet: skipped */ }
