/**
 * SIMD kernels over {@code MemorySegment}s, their scalar fallbacks and the kernel thread pool. Internal to
 * vectorgrad: exported to {@code vectorgrad.autograd} only.
 */
module vectorgrad.kernels {
    requires jdk.incubator.vector;
    requires jdk.management; // HotSpot's UseFMA flag: whether vector fma is an instruction

    exports vectorgrad.kernels to
            vectorgrad.autograd;
}
