package vectorgrad.autograd;

/**
 * Counters of the native memory behind tensors, and a way to give unused memory back — the JVM's
 * counterpart of {@code torch.cuda.memory_reserved()}/{@code memory_allocated()}/{@code empty_cache()}.
 *
 * <p>Tensor memory comes from a size-classed cache of 64-byte-aligned native blocks: a released block
 * (by {@link Tensor#close()}, a {@link MemoryScope}, or the garbage collector once a tensor is
 * unreachable) goes back to the cache and the next tensor of its size class reuses it. In a steady
 * training loop {@link #reservedBytes()} therefore stops growing after the first steps.
 */
public final class Memory {
    private Memory() {}

    /** Native bytes reserved from the operating system: held by tensors plus cached for reuse. */
    public static long reservedBytes() {
        return BufferCache.reservedBytes();
    }

    /** Native bytes held by open tensors now. */
    public static long liveBytes() {
        return BufferCache.liveBytes();
    }

    /** How many blocks were reserved from the operating system so far (each a miss of the cache). */
    public static long nativeAllocations() {
        return BufferCache.nativeAllocations();
    }

    /** How many times an allocation asked the garbage collector for unreachable tensors first. */
    public static long reclaims() {
        return BufferCache.reclaims();
    }

    /** Releases every cached block not held by a tensor (as {@code torch.cuda.empty_cache()}). */
    public static void emptyCache() {
        BufferCache.trim();
    }
}
