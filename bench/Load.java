import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Eventflow's HTTP load generator for bench/run: POSTs {"eventType":...,"count":K} over N keep-alive connections with
 * prebuilt request bytes, at most one request in flight per connection (N concurrent clients).
 * <p>
 * One thread drives all N connections through a selector. It shares the 2 cores with what it measures, so it must
 * cost little: with a thread per connection, every answer woke a thread of its own, and the generator took ~0.13 ms
 * of CPU per one-event request (2026-11-30); one event loop reads the answers that arrived together in one wake-up.
 *
 *   java bench/Load.java URL clients=N events=K [active-every=3] (total=T | seconds=D [period-ms=P])
 *
 * total=T: N clients post back to back until T events are sent. seconds=D: N clients post back to back for D s.
 * seconds=D period-ms=P: paced, request i is due at start + i*P ms, sent on whichever connection is free;
 * its latency counts from when it was due, so a late send shows up as latency; late= counts requests sent more than
 * one period (at least 2 ms) after they were due (all N connections were waiting for answers: the pace did not hold). active-every=3:
 * every third request is activeEvent (2:1 passive/active), 0: passive only.
 * Prints one line of key=value: accepted events by type (from each answer's "accepted"), uncertain events (of
 * requests that failed without saying how many were accepted), statuses, HTTP latency, epoch ms of the window, and
 * this process's CPU over the window and before it.
 */
public class Load {
    static final Pattern ACCEPTED = Pattern.compile("\"accepted\"\\s*:\\s*(\\d+)");
    static final long ANSWER_TIMEOUT_NS = 120_000_000_000L;
    // The event loop waits in whole milliseconds: at 8,000/s (a 0.125-ms period) a request is routinely sent up to 1 ms
    // after it was due, which its latency shows; late means the pace did not hold, more than 2 ms behind.
    static final long LATE_FLOOR_NS = 2_000_000L;

    public static void main(String[] args) throws Exception {
        URI uri = URI.create(args[0]);
        Map<String, String> opt = new HashMap<>();
        for (String a : Arrays.copyOfRange(args, 1, args.length)) opt.put(a.substring(0, a.indexOf('=')), a.substring(a.indexOf('=') + 1));
        int clients = Integer.parseInt(opt.getOrDefault("clients", "8"));
        int events = Integer.parseInt(opt.getOrDefault("events", "1"));
        int activeEvery = Integer.parseInt(opt.getOrDefault("active-every", "3"));
        long total = Long.parseLong(opt.getOrDefault("total", "0"));
        double seconds = Double.parseDouble(opt.getOrDefault("seconds", "0"));
        long periodNs = (long) (Double.parseDouble(opt.getOrDefault("period-ms", "0")) * 1e6);
        long requests = total > 0 ? (total + events - 1) / events : Long.MAX_VALUE;

        byte[] passive = request(uri, "passiveEvent", events), active = request(uri, "activeEvent", events);
        Stats stats = new Stats();
        Selector selector = Selector.open();
        ArrayDeque<Conn> idle = new ArrayDeque<>();
        for (int c = 0; c < clients; c++) {
            Conn conn = new Conn(uri, selector, stats, events);
            try { conn.connect(); } catch (IOException e) { stats.failure("connect"); }
            idle.add(conn);
        }

        // This process's own CPU over the window, and before it (JVM start, connecting): bench/run counts it apart.
        var os = (com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        long cpuAtStart = os.getProcessCpuTime();
        long startMs = System.currentTimeMillis();
        long start = System.nanoTime(), deadline = start + (long) (seconds * 1e9);
        long next = 0, late = 0, lastTimeoutCheck = start;
        int inFlight = 0;
        boolean sending = true;
        while (sending || inFlight > 0) {
            long now = System.nanoTime();
            long wait = 0; // ns until the next paced request is due; 0: wait for answers only
            while (sending && !idle.isEmpty()) {
                long due = periodNs > 0 ? start + next * periodNs : now;
                if (next >= requests || (seconds > 0 && (due - deadline >= 0 || now - deadline >= 0))) {
                    sending = false;
                    break;
                }
                if (due - now > 0) {
                    wait = due - now;
                    break;
                }
                if (periodNs > 0 && now - due > Math.max(periodNs, LATE_FLOOR_NS)) late++;
                boolean isActive = activeEvery > 0 && next % activeEvery == activeEvery - 1;
                Conn conn = idle.poll();
                if (conn.send(isActive ? active : passive, isActive, due)) {
                    inFlight++;
                } else {
                    idle.add(conn); // not sent (connect failed): counted, the next request tries again
                }
                next++;
            }
            if (!sending && inFlight == 0) break;
            if (wait > 0) selector.select(Math.max(1, wait / 1_000_000));
            else if (inFlight > 0) selector.select(1000);
            else selector.selectNow();
            for (SelectionKey key : selector.selectedKeys()) {
                Conn conn = (Conn) key.attachment();
                if (conn.onReadable()) {
                    inFlight--;
                    idle.add(conn);
                }
            }
            selector.selectedKeys().clear();
            now = System.nanoTime();
            if (now - lastTimeoutCheck > 1_000_000_000L) {
                lastTimeoutCheck = now;
                for (Conn conn : stats.all) {
                    if (conn.timedOut(now)) {
                        inFlight--;
                        idle.add(conn);
                    }
                }
            }
        }
        long endMs = System.currentTimeMillis();
        long cpuAtEnd = os.getProcessCpuTime();

        long[] all = Arrays.copyOf(stats.latencyUs, stats.count);
        Arrays.sort(all);
        StringBuilder out = new StringBuilder();
        out.append("start_ms=").append(startMs).append(" end_ms=").append(endMs).append(" requests=").append(stats.count)
           .append(" accepted_passive=").append(stats.accepted[0]).append(" accepted_active=").append(stats.accepted[1])
           .append(" uncertain_passive=").append(stats.uncertain[0]).append(" uncertain_active=").append(stats.uncertain[1])
           .append(" http_p50_ms=").append(pct(all, 50)).append(" http_p99_ms=").append(pct(all, 99))
           .append(" http_max_ms=").append(pct(all, 100)).append(" late=").append(late)
           .append(" cpu_window_ms=").append((cpuAtEnd - cpuAtStart) / 1_000_000).append(" cpu_before_ms=").append(cpuAtStart / 1_000_000);
        stats.statuses.forEach((k, v) -> out.append(' ').append(k).append('=').append(v));
        System.out.println(out);
    }

    static String pct(long[] sortedUs, double p) {
        if (sortedUs.length == 0) return "0";
        int i = (int) Math.ceil(p / 100 * sortedUs.length) - 1;
        return String.format("%.1f", sortedUs[Math.max(0, Math.min(sortedUs.length - 1, i))] / 1000.0);
    }

    static byte[] request(URI uri, String type, int events) {
        String body = events == 1 ? "{\"eventType\":\"" + type + "\"}" : "{\"eventType\":\"" + type + "\",\"count\":" + events + "}";
        return ("POST " + uri.getRawPath() + " HTTP/1.1\r\nHost: " + uri.getHost() + ":" + uri.getPort()
                + "\r\nContent-Type: application/json\r\nContent-Length: " + body.length() + "\r\n\r\n" + body)
                .getBytes(StandardCharsets.US_ASCII);
    }

    /** What every answer adds up to. */
    static final class Stats {
        final long[] accepted = new long[2], uncertain = new long[2];
        final Map<String, Long> statuses = new TreeMap<>();
        final ArrayDeque<Conn> all = new ArrayDeque<>();
        long[] latencyUs = new long[1 << 16];
        int count;

        void failure(String what) { statuses.merge("error_" + what, 1L, Long::sum); }

        void answered(long sinceNs) {
            if (count == latencyUs.length) latencyUs = Arrays.copyOf(latencyUs, count * 2);
            latencyUs[count++] = (System.nanoTime() - sinceNs) / 1000;
        }
    }

    /** One client: one keep-alive connection, reopened if the server closes it; one request in flight at most. */
    static final class Conn {
        final URI uri;
        final Selector selector;
        final Stats stats;
        final int events;
        SocketChannel channel;
        ByteBuffer in = ByteBuffer.allocate(16384);
        boolean busy, active;
        long sinceNs, sentNs;

        Conn(URI uri, Selector selector, Stats stats, int events) {
            this.uri = uri;
            this.selector = selector;
            this.stats = stats;
            this.events = events;
            stats.all.add(this);
        }

        void connect() throws IOException {
            SocketChannel c = SocketChannel.open(); // kept only once connected, so a failed connect is retried by the next send
            try {
                c.setOption(StandardSocketOptions.TCP_NODELAY, true);
                c.socket().connect(new InetSocketAddress(uri.getHost(), uri.getPort()), 5000);
                c.configureBlocking(false);
                c.register(selector, SelectionKey.OP_READ, this);
            } catch (IOException e) {
                c.close();
                throw e;
            }
            channel = c;
        }

        void close() {
            try { if (channel != null) channel.close(); } catch (IOException ignored) { }
            channel = null;
            in.clear();
        }

        /** Sends the request (it fits the socket buffer: a few hundred bytes); false if it could not be sent. */
        boolean send(byte[] request, boolean active, long dueNs) {
            this.active = active;
            this.sinceNs = dueNs;
            try {
                if (channel == null) connect();
                ByteBuffer out = ByteBuffer.wrap(request);
                while (out.hasRemaining()) {
                    if (channel.write(out) == 0) Thread.onSpinWait();
                }
                busy = true;
                sentNs = System.nanoTime();
                return true;
            } catch (IOException e) {
                failed(e.getClass().getSimpleName());
                return false;
            }
        }

        /** Reads what arrived; true once the whole answer is in (the connection is free again). */
        boolean onReadable() {
            try {
                if (in.remaining() < 1024) in = ByteBuffer.allocate(in.capacity() * 2).put(in.flip());
                int r = channel.read(in);
                int length = complete(r < 0);
                if (length < 0) {
                    if (r < 0) throw new IOException("closed");
                    return false;
                }
                if (!busy) { // an answer to nothing: the server spoke out of turn
                    close();
                    return false;
                }
                answer(length, r < 0);
                return true;
            } catch (IOException e) {
                if (!busy) {
                    close();
                    return false;
                }
                failed(e.getClass().getSimpleName());
                return true;
            }
        }

        boolean timedOut(long now) {
            if (!busy || now - sentNs < ANSWER_TIMEOUT_NS) return false;
            failed("SocketTimeoutException");
            return true;
        }

        private void failed(String what) {
            stats.failure(what);
            if (busy) {
                stats.uncertain[active ? 1 : 0] += events;
                stats.answered(sinceNs);
            }
            busy = false;
            close();
        }

        /** Records the answer in in[0, length) and keeps what follows it. */
        private void answer(int length, boolean closed) {
            byte[] bytes = in.array();
            int headerEnd = indexOf(bytes, length, "\r\n\r\n".getBytes(StandardCharsets.US_ASCII)) + 4;
            String head = new String(bytes, 0, headerEnd, StandardCharsets.ISO_8859_1);
            int status = Integer.parseInt(head.substring(9, 12));
            String body = new String(bytes, headerEnd, Math.min(4096, length - headerEnd), StandardCharsets.ISO_8859_1);
            stats.statuses.merge("status_" + status, 1L, Long::sum);
            Matcher m = ACCEPTED.matcher(body);
            long ok = m.find() ? Long.parseLong(m.group(1)) : status == 202 ? events : 0;
            int type = active ? 1 : 0;
            stats.accepted[type] += ok;
            if (status != 202) stats.uncertain[type] += events - ok;
            stats.answered(sinceNs);
            busy = false;
            if (closed || head.toLowerCase().contains("\nconnection: close")) {
                close();
            } else {
                in.flip().position(length);
                in.compact();
            }
        }

        /**
         * The length of the first whole answer in the buffer (Content-Length, chunked, or up to the close), -1 while it
         * is incomplete.
         */
        private int complete(boolean closed) {
            byte[] b = in.array();
            int n = in.position();
            int headerEnd = indexOf(b, n, "\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            if (headerEnd < 0) return -1;
            String head = new String(b, 0, headerEnd, StandardCharsets.ISO_8859_1).toLowerCase();
            int bodyStart = headerEnd + 4;
            int cl = head.indexOf("\ncontent-length:");
            if (cl >= 0) {
                int eol = head.indexOf('\n', cl + 1);
                long length = Long.parseLong(head.substring(cl + 16, eol < 0 ? head.length() : eol).trim());
                return n - bodyStart >= length ? (int) (bodyStart + length) : -1;
            }
            if (head.contains("\ntransfer-encoding:") && head.contains("chunked")) {
                int at = bodyStart;
                while (true) {
                    int eol = indexOf(b, n, at, "\r\n".getBytes(StandardCharsets.US_ASCII));
                    if (eol < 0) return -1;
                    String sizeLine = new String(b, at, eol - at, StandardCharsets.ISO_8859_1);
                    int size = Integer.parseInt(sizeLine.split(";")[0].trim(), 16);
                    at = eol + 2;
                    if (size == 0) { // trailers end with an empty line
                        int end = indexOf(b, n, at - 2, "\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                        return end < 0 ? -1 : end + 4;
                    }
                    if (n < at + size + 2) return -1;
                    at += size + 2;
                }
            }
            return closed ? n : -1; // no length: the body ends with the connection
        }

        static int indexOf(byte[] b, int n, byte[] what) { return indexOf(b, n, 0, what); }

        static int indexOf(byte[] b, int n, int from, byte[] what) {
            outer:
            for (int i = from; i <= n - what.length; i++) {
                for (int j = 0; j < what.length; j++) if (b[i + j] != what[j]) continue outer;
                return i;
            }
            return -1;
        }
    }
}
