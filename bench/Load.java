import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Eventflow's HTTP load generator for bench/run: POSTs {"eventType":...,"count":K} to URL from N threads, each on
 * its own keep-alive socket with prebuilt request bytes, so it stays cheap on a 2-core box shared with the app.
 *
 *   java bench/Load.java URL clients=N events=K [active-every=3] (total=T | seconds=D [period-ms=P])
 *
 * total=T: N clients post back to back until T events are sent. seconds=D: N clients post back to back for D s.
 * seconds=D period-ms=P: paced, request i is due at start + i*P ms, sent by whichever of the N threads is free;
 * its latency counts from when it was due, so a late send shows up as latency; late= counts requests sent more than
 * one period after they were due (all N threads were waiting for answers: the pace did not hold). active-every=3: every third
 * request is activeEvent (2:1 passive/active), 0: passive only.
 * Prints one line of key=value: accepted events by type (from each answer's "accepted"), uncertain events (of
 * requests that failed without saying how many were accepted), statuses, HTTP latency, epoch ms of the window.
 */
public class Load {
    static final Pattern ACCEPTED = Pattern.compile("\"accepted\"\\s*:\\s*(\\d+)");

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
        AtomicLong next = new AtomicLong();
        Worker[] workers = new Worker[clients];
        CountDownLatch connected = new CountDownLatch(clients), go = new CountDownLatch(1);
        long[] window = new long[2]; // nanoTime start, deadline
        for (int c = 0; c < clients; c++) {
            Worker w = workers[c] = new Worker(uri);
            w.thread = new Thread(() -> {
                try { w.connect(); } catch (IOException e) { w.failures.merge("connect", 1L, Long::sum); }
                connected.countDown();
                try { go.await(); } catch (InterruptedException e) { return; }
                for (long i; (i = next.getAndIncrement()) < requests; ) {
                    long due = periodNs > 0 ? window[0] + i * periodNs : System.nanoTime();
                    if (seconds > 0 && due - window[1] >= 0) break;
                    if (periodNs > 0) while (System.nanoTime() < due) LockSupport.parkNanos(due - System.nanoTime());
                    if (periodNs > 0 && System.nanoTime() - due > periodNs) w.late++;
                    boolean isActive = activeEvery > 0 && i % activeEvery == activeEvery - 1;
                    w.send(isActive ? active : passive, isActive, events, due);
                    if (seconds > 0 && System.nanoTime() - window[1] >= 0) break;
                }
                w.close();
            });
            w.thread.start();
        }
        connected.await();
        long startMs = System.currentTimeMillis();
        window[0] = System.nanoTime();
        window[1] = window[0] + (long) (seconds * 1e9);
        go.countDown();
        for (Worker w : workers) w.thread.join();
        long endMs = System.currentTimeMillis();

        long[] acc = new long[2], unsure = new long[2];
        long late = 0;
        Map<String, Long> statuses = new TreeMap<>();
        int n = 0;
        for (Worker w : workers) {
            for (int t = 0; t < 2; t++) { acc[t] += w.accepted[t]; unsure[t] += w.uncertain[t]; }
            w.statuses.forEach((k, v) -> statuses.merge("status_" + k, v, Long::sum));
            w.failures.forEach((k, v) -> statuses.merge("error_" + k, v, Long::sum));
            n += w.count; late += w.late;
        }
        long[] all = new long[n];
        int at = 0;
        for (int c = 0; c < clients; c++) { System.arraycopy(workers[c].latencyUs, 0, all, at, workers[c].count); at += workers[c].count; }
        Arrays.sort(all);
        StringBuilder out = new StringBuilder();
        out.append("start_ms=").append(startMs).append(" end_ms=").append(endMs).append(" requests=").append(n)
           .append(" accepted_passive=").append(acc[0]).append(" accepted_active=").append(acc[1])
           .append(" uncertain_passive=").append(unsure[0]).append(" uncertain_active=").append(unsure[1])
           .append(" http_p50_ms=").append(pct(all, 50)).append(" http_p99_ms=").append(pct(all, 99))
           .append(" http_max_ms=").append(pct(all, 100)).append(" late=").append(late);
        statuses.forEach((k, v) -> out.append(' ').append(k).append('=').append(v));
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

    /** One client: one keep-alive socket, reopened if the server closes it. */
    static final class Worker {
        final URI uri;
        Thread thread;
        Socket socket;
        InputStream in;
        OutputStream out;
        final long[] accepted = new long[2], uncertain = new long[2];
        final Map<String, Long> statuses = new HashMap<>(), failures = new HashMap<>();
        long[] latencyUs = new long[1024];
        int count, late;
        final byte[] buf = new byte[8192];

        Worker(URI uri) { this.uri = uri; }

        void connect() throws IOException {
            Socket s = new Socket(); // kept only once connected, so a failed connect is retried by the next send
            s.setTcpNoDelay(true);
            s.connect(new InetSocketAddress(uri.getHost(), uri.getPort()), 5000);
            s.setSoTimeout(120_000);
            in = new BufferedInputStream(s.getInputStream(), 8192);
            out = s.getOutputStream();
            socket = s;
        }

        void close() {
            try { if (socket != null) socket.close(); } catch (IOException ignored) { }
            socket = null;
        }

        void send(byte[] request, boolean active, int events, long sinceNs) {
            int type = active ? 1 : 0;
            try {
                if (socket == null) connect();
                out.write(request);
                out.flush();
                int status = readResponse();
                statuses.merge(Integer.toString(status), 1L, Long::sum);
                Matcher m = ACCEPTED.matcher(body);
                long ok = m.find() ? Long.parseLong(m.group(1)) : status == 202 ? events : 0;
                accepted[type] += ok;
                if (status != 202) uncertain[type] += events - ok;
            } catch (IOException e) {
                failures.merge(e.getClass().getSimpleName(), 1L, Long::sum);
                uncertain[type] += events;
                close();
            }
            if (count == latencyUs.length) latencyUs = Arrays.copyOf(latencyUs, count * 2);
            latencyUs[count++] = (System.nanoTime() - sinceNs) / 1000;
        }

        String body = "";

        /** Reads one answer (Content-Length or chunked); keeps its body (small) for "accepted". */
        int readResponse() throws IOException {
            String statusLine = line();
            int status = Integer.parseInt(statusLine.split(" ")[1]);
            long length = -1;
            boolean chunked = false, closeAfter = false;
            for (String h; !(h = line()).isEmpty(); ) {
                String lower = h.toLowerCase();
                if (lower.startsWith("content-length:")) length = Long.parseLong(h.substring(15).trim());
                else if (lower.startsWith("transfer-encoding:") && lower.contains("chunked")) chunked = true;
                else if (lower.startsWith("connection:") && lower.contains("close")) closeAfter = true;
            }
            StringBuilder b = new StringBuilder();
            if (chunked) {
                for (long size; (size = Long.parseLong(line().split(";")[0].trim(), 16)) > 0; line()) readBody(size, b);
                while (!line().isEmpty()) { } // trailers
            } else if (length >= 0) {
                readBody(length, b);
            } else {
                closeAfter = true;
                readBody(Long.MAX_VALUE, b);
            }
            body = b.toString();
            if (closeAfter) close();
            return status;
        }

        void readBody(long size, StringBuilder b) throws IOException {
            while (size > 0) {
                int r = in.read(buf, 0, (int) Math.min(buf.length, size));
                if (r < 0) { if (size == Long.MAX_VALUE) return; throw new IOException("closed mid-body"); }
                if (b.length() < 4096) b.append(new String(buf, 0, r, StandardCharsets.ISO_8859_1));
                if (size != Long.MAX_VALUE) size -= r;
            }
        }

        String line() throws IOException {
            StringBuilder s = new StringBuilder(64);
            for (int c; (c = in.read()) != '\n'; ) {
                if (c < 0) throw new IOException("closed");
                if (c != '\r') s.append((char) c);
            }
            return s.toString();
        }
    }
}
