package vectorgrad.spark;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Sums a float buffer across {@code size} ranks over TCP, arranged in a ring (rank r sends to r+1 and
 * receives from r-1): a reduce-scatter, after which each rank holds the whole sum of one chunk, then an
 * all-gather of those chunks. Each rank sends and receives {@code 2(n-1)/n} of the buffer per call,
 * whatever n is.
 *
 * <p>Deterministic: chunk c is summed in ring order starting at rank c, {@code ((x_c + x_{c+1}) + x_{c+2}) + …},
 * whatever the timing, and the all-gather copies the owner's bits, so every rank ends with identical sums
 * and a rerun gives the same bits.
 *
 * <p>Use: {@link #bind} on each rank, exchange {@link #address()}es (Spark's
 * {@code BarrierTaskContext.allGather}), {@link #connect}, then {@link #allReduce} as often as needed. A
 * peer that dies closes its sockets, and the others' next call fails naming it; an interrupted thread
 * (Spark killing a barrier task) closes the channels and fails too. A rank that fails on its own (a bad
 * sample) first {@link #abort}s with its message, which the next rank's call fails with and passes on
 * around the ring: whichever task's failure Spark reports, it carries the cause.
 *
 * <p>Each chunk goes as its length in floats (an int) then the floats; a length of -1 is an abort: a
 * message's length in bytes, then the message in UTF-8.
 */
public final class RingAllReduce implements AutoCloseable {
    private final int rank, size;
    private final String host;
    private final ServerSocketChannel server;
    private SocketChannel toNext, fromPrev;
    private final ExecutorService sender;
    private ByteBuffer sendBuf, recvBuf;
    private final ByteBuffer header = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
    private float[] scratch;
    private static final int ABORT = -1;

    private RingAllReduce(int rank, int size, String host, ServerSocketChannel server) {
        this.rank = rank;
        this.size = size;
        this.host = host;
        this.server = server;
        this.sender = size > 1
                ? Executors.newSingleThreadExecutor(r -> {
                    Thread t = new Thread(r, "vectorgrad-ring-send-" + rank);
                    t.setDaemon(true);
                    return t;
                })
                : null;
    }

    /** Opens this rank's listening socket on an ephemeral port of {@code host}. */
    public static RingAllReduce bind(int rank, int size, String host) throws IOException {
        if (size < 1 || rank < 0 || rank >= size)
            throw new IllegalArgumentException("ring all-reduce: rank " + rank + " of " + size);
        ServerSocketChannel server = null;
        if (size > 1) {
            server = ServerSocketChannel.open();
            server.bind(new InetSocketAddress(host, 0), 4);
        }
        return new RingAllReduce(rank, size, host, server);
    }

    /** {@code host:port} where the previous rank connects. */
    public String address() throws IOException {
        if (server == null) return host + ":0";
        return host + ":" + ((InetSocketAddress) server.getLocalAddress()).getPort();
    }

    /** Connects to the next rank and accepts the previous one; {@code addresses} by rank. */
    public void connect(List<String> addresses) throws IOException {
        if (addresses.size() != size)
            throw new IllegalArgumentException(
                    "ring all-reduce: " + addresses.size() + " addresses for " + size + " ranks");
        if (size == 1) return;
        String next = addresses.get((rank + 1) % size);
        int colon = next.lastIndexOf(':');
        toNext = SocketChannel.open();
        toNext.setOption(StandardSocketOptions.TCP_NODELAY, true);
        // the peer's listening socket exists before any address is shared, so this completes through its
        // backlog even before the peer reaches accept()
        toNext.connect(new InetSocketAddress(next.substring(0, colon), Integer.parseInt(next.substring(colon + 1))));
        ByteBuffer hello =
                ByteBuffer.allocate(8).putInt(0x56475249).putInt(rank).flip();
        while (hello.hasRemaining()) toNext.write(hello);
        fromPrev = server.accept();
        fromPrev.setOption(StandardSocketOptions.TCP_NODELAY, true);
        ByteBuffer in = ByteBuffer.allocate(8);
        readFully(fromPrev, in, (rank - 1 + size) % size);
        in.flip();
        int magic = in.getInt(), from = in.getInt();
        int expected = (rank - 1 + size) % size;
        if (magic != 0x56475249 || from != expected)
            throw new IOException("ring all-reduce: rank " + rank + " expected rank " + expected + " to connect, got "
                    + (magic != 0x56475249 ? "a stranger" : "rank " + from));
        server.close();
    }

    /** Replaces {@code buf} on every rank by the element-wise sum of all ranks' buffers (equal lengths). */
    public void allReduce(float[] buf) throws IOException {
        if (size == 1) return;
        int n = buf.length;
        int maxChunk = (n + size - 1) / size;
        if (sendBuf == null || sendBuf.capacity() < 4 + maxChunk * 4) {
            sendBuf = ByteBuffer.allocateDirect(4 + maxChunk * 4).order(ByteOrder.LITTLE_ENDIAN);
            recvBuf = ByteBuffer.allocateDirect(maxChunk * 4).order(ByteOrder.LITTLE_ENDIAN);
            scratch = new float[maxChunk];
        }
        int prev = (rank - 1 + size) % size;
        // reduce-scatter: after step s, the chunk (rank - s - 1) holds the sum of s + 2 ranks' values
        for (int s = 0; s < size - 1; s++) {
            int sendChunk = Math.floorMod(rank - s, size), recvChunk = Math.floorMod(rank - s - 1, size);
            exchange(buf, sendChunk, recvChunk, n, prev);
            int from = start(recvChunk, n), len = start(recvChunk + 1, n) - from;
            recvBuf.asFloatBuffer().get(0, scratch, 0, len); // one bulk copy, then a loop C2 vectorises
            // received (the sum of the ranks before this one in the ring) first, then this rank's own
            for (int i = 0; i < len; i++) buf[from + i] = scratch[i] + buf[from + i];
        }
        // all-gather: pass the finished chunks around the ring; rank r finished chunk r + 1
        for (int s = 0; s < size - 1; s++) {
            int sendChunk = Math.floorMod(rank + 1 - s, size), recvChunk = Math.floorMod(rank - s, size);
            exchange(buf, sendChunk, recvChunk, n, prev);
            int from = start(recvChunk, n), len = start(recvChunk + 1, n) - from;
            recvBuf.asFloatBuffer().get(0, buf, from, len);
        }
    }

    private int start(int chunk, int n) {
        return (int) ((long) chunk * n / size);
    }

    /** Sends one chunk to the next rank while receiving one from the previous (both at once: no deadlock). */
    private void exchange(float[] buf, int sendChunk, int recvChunk, int n, int prev) throws IOException {
        int sFrom = start(sendChunk, n), sLen = start(sendChunk + 1, n) - sFrom;
        int rLen = start(recvChunk + 1, n) - start(recvChunk, n);
        sendBuf.clear();
        sendBuf.putInt(0, sLen);
        sendBuf.position(4)
                .slice()
                .order(ByteOrder.LITTLE_ENDIAN)
                .asFloatBuffer()
                .put(buf, sFrom, sLen);
        sendBuf.position(0).limit(4 + sLen * 4);
        Future<?> sent = sender.submit(() -> {
            while (sendBuf.hasRemaining()) toNext.write(sendBuf);
            return null;
        });
        header.clear();
        readFully(fromPrev, header, prev);
        int len = header.getInt(0);
        if (len == ABORT) {
            String m = abortMessage(prev);
            // pass it on once this rank's own chunk is out (an abort frame amid a chunk would garble it)
            try {
                sent.get(1, TimeUnit.SECONDS);
                abort(m);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (ExecutionException | TimeoutException notSent) {
                // the next rank hears of the failure as a closed connection
            }
            throw new IOException("ring all-reduce: " + m);
        }
        if (len != rLen)
            throw new IOException("ring all-reduce: rank " + rank + " expected a chunk of " + rLen
                    + " floats from rank " + prev + ", got " + len);
        recvBuf.clear().limit(rLen * 4);
        readFully(fromPrev, recvBuf, prev);
        recvBuf.flip();
        try {
            sent.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("ring all-reduce: interrupted while sending to rank " + (rank + 1) % size, e);
        } catch (ExecutionException e) {
            throw new IOException(
                    "ring all-reduce: rank " + rank + " could not send to rank " + (rank + 1) % size + ": "
                            + e.getCause().getMessage(),
                    e.getCause());
        }
    }

    /** The previous rank's abort message, read after the -1, naming the rank that failed first. */
    private String abortMessage(int prev) throws IOException {
        header.clear();
        readFully(fromPrev, header, prev);
        int n = header.getInt(0);
        if (n < 0 || n > MAX_MESSAGE_BYTES) return "rank " + prev + " aborted";
        ByteBuffer msg = ByteBuffer.allocate(n);
        readFully(fromPrev, msg, prev);
        String m = new String(msg.array(), StandardCharsets.UTF_8);
        return m.startsWith("rank ") ? m : "rank " + prev + " failed: " + m;
    }

    /** An abort's message is cut to this many characters: at most 4 KB, which a socket's buffer takes without a reader. */
    private static final int MAX_MESSAGE_CHARS = 1000;

    private static final int MAX_MESSAGE_BYTES = 4 * MAX_MESSAGE_CHARS;

    /**
     * Tells the next rank that this one failed with {@code message} (best effort: a peer not connected or
     * already gone is skipped), so that its next {@link #allReduce} fails with the message instead of a
     * closed connection. Call between calls of allReduce, not during one, then {@link #close}; the ring is
     * unusable after.
     */
    public void abort(String message) {
        if (toNext == null || !toNext.isConnected()) return;
        if (sender != null) sender.shutdownNow();
        String cut = message.length() > MAX_MESSAGE_CHARS ? message.substring(0, MAX_MESSAGE_CHARS) : message;
        byte[] m = cut.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + m.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(ABORT).putInt(m.length).put(m).flip();
        try {
            while (b.hasRemaining()) toNext.write(b);
        } catch (IOException | RuntimeException gone) {
            // the next rank has failed or left already: it needs no message
        }
    }

    private void readFully(SocketChannel ch, ByteBuffer b, int peer) throws IOException {
        while (b.hasRemaining()) {
            if (ch.read(b) < 0)
                throw new IOException("ring all-reduce: rank " + peer + " closed the connection to rank " + rank
                        + " (did that task fail?)");
        }
    }

    @Override
    public void close() throws IOException {
        if (sender != null) sender.shutdownNow();
        for (AutoCloseable c : new AutoCloseable[] {toNext, fromPrev, server}) {
            try {
                if (c != null) c.close();
            } catch (Exception ignored) {
                // closing: nothing left to do with a failed close
            }
        }
    }
}
