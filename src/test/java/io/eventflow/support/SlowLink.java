package io.eventflow.support;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * A TCP proxy to a server that carries at most so many bytes per second each way: a broker behind it takes messages
 * slowly and confirms them more slowly still, as one under a memory alarm or on a slow cluster does. It counts the
 * bytes that reached the server, so a test can tell what was published after its answers.
 */
public final class SlowLink implements AutoCloseable {

    private static final int CHUNK = 512;

    private final ServerSocket listener;
    private final String host;
    private final int port;
    private final long upBytesPerSecond;
    private final long downBytesPerSecond;
    private final AtomicLong bytesUp = new AtomicLong();
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();

    public SlowLink(String host, int port, long upBytesPerSecond, long downBytesPerSecond) throws IOException {
        this.host = host;
        this.port = port;
        this.upBytesPerSecond = upBytesPerSecond;
        this.downBytesPerSecond = downBytesPerSecond;
        this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        daemon("slow-link-accept", this::accept);
    }

    public int port() {
        return listener.getLocalPort();
    }

    /** Bytes the server has received through the link so far. */
    public long bytesUp() {
        return bytesUp.get();
    }

    private void accept() {
        while (!listener.isClosed()) {
            try {
                Socket client = listener.accept();
                Socket server = new Socket(host, port);
                sockets.add(client);
                sockets.add(server);
                pump(client, server, upBytesPerSecond, bytesUp);
                pump(server, client, downBytesPerSecond, new AtomicLong());
            } catch (IOException closed) {
                return;
            }
        }
    }

    /** Copies one direction in chunks, each no sooner than the rate allows: the pacing is the slowness simulated. */
    private static void pump(Socket from, Socket to, long bytesPerSecond, AtomicLong counted) {
        daemon("slow-link-pump", () -> {
            byte[] buffer = new byte[CHUNK];
            long start = System.nanoTime();
            long carried = 0;
            try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
                for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
                    carried += n;
                    long due = start + TimeUnit.SECONDS.toNanos(carried) / bytesPerSecond;
                    for (long wait = due - System.nanoTime(); wait > 0; wait = due - System.nanoTime()) {
                        LockSupport.parkNanos(wait);
                    }
                    out.write(buffer, 0, n);
                    counted.addAndGet(n);
                }
            } catch (IOException closed) {
                // Either side closed: so does the other.
            } finally {
                closeQuietly(from);
                closeQuietly(to);
            }
        });
    }

    private static void daemon(String name, Runnable work) {
        Thread thread = new Thread(work, name);
        thread.setDaemon(true);
        thread.start();
    }

    private static void closeQuietly(Socket socket) {
        try {
            socket.close();
        } catch (IOException ignored) {
            // Already closed.
        }
    }

    @Override
    public void close() throws IOException {
        listener.close();
        sockets.forEach(SlowLink::closeQuietly);
    }
}
