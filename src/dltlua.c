/* dltlua.c: the dlt interpreter (being written). */
int main(void) { return 0; }
