/* main: calls into every module so nothing is garbage collected. */
extern int sensor_read(int i);
extern unsigned long long ml_scale(unsigned long long x, unsigned long long y);
extern int k_sched_tick(void);
extern void *malloc_stub(unsigned int n);
extern int asm_helper(int x);

int main(void)
{
	int r = sensor_read(3) + k_sched_tick() + asm_helper(2);
	r += (int)ml_scale((unsigned long long)r << 33, 7);
	return r + (malloc_stub(5) != 0);
}
