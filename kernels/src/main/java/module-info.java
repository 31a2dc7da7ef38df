/**
 * SIMD kernels over {@code MemorySegment}s, their scalar fallbacks and the kernel thread pool. Internal to
 * vectorgrad: exported to {@code vectorgrad.autograd} only.
 */
module vectorgrad.kernels {
    requires jdk.incubator.vector;

    exports vectorgrad.kernels to
            vectorgrad.autograd;
}
