import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.UUID;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import jakarta.servlet.AsyncContext;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.apache.catalina.Context;
import org.apache.catalina.connector.Connector;
import org.apache.catalina.startup.Tomcat;

/**
 * The floor of an HTTP engine under Eventflow's one-event load: a server that answers POST /api/events 202 with an
 * ingest-like JSON body and does nothing else (no parsing, no Camel, no broker). bench/engine-floor.sh runs it for each
 * engine and divides its CPU by the requests it answered: what the engine alone costs per request, the least a
 * one-event request can cost on it. The versions are Eventflow's: Tomcat from Spring Boot 3.5.7, Vert.x from
 * camel-platform-http-vertx 4.17.0 (bench/enginefloor.pom.xml).
 *
 *   java -cp CLASSPATH bench/EngineFloor.java ENGINE PORT
 *
 * ENGINE:
 *   tomcat        a blocking servlet on Tomcat's NIO connector, 32 threads (Eventflow's server.tomcat.threads.max)
 *   tomcat-async  Eventflow's shape (io.eventflow.api.ApiHttpEngine): async servlet, the body read by a ReadListener
 *                 without a thread, then the answer written on a pool of 32 threads of its own (eventflow.http.threads)
 *   vertx         Vert.x 4 HTTP server, the answer written on the event loop
 *   vertx-worker  camel-platform-http-vertx's shape (VertxPlatformHttpConsumer): the body on the event loop, the
 *                 work on Vert.x's worker pool (executeBlocking, unordered), the answer written back
 */
public class EngineFloor {

    static byte[] answer() {
        return ("{\"accepted\": 1, \"topic\": \"topic1\", \"batchId\": \"" + UUID.randomUUID() + "\", \"retrySafe\": false}")
                .getBytes(StandardCharsets.UTF_8);
    }

    public static void main(String[] args) throws Exception {
        String engine = args[0];
        int port = Integer.parseInt(args[1]);
        switch (engine) {
            case "tomcat", "tomcat-async" -> tomcat(port, engine.equals("tomcat-async"));
            case "vertx", "vertx-worker" -> vertx(port, engine.equals("vertx-worker"));
            default -> throw new IllegalArgumentException("engine: tomcat, tomcat-async, vertx or vertx-worker, not " + engine);
        }
        System.out.println("EngineFloor " + engine + " listening on 127.0.0.1:" + port);
        Thread.currentThread().join();
    }

    static void tomcat(int port, boolean async) throws Exception {
        Tomcat tomcat = new Tomcat();
        tomcat.setBaseDir(System.getProperty("java.io.tmpdir") + "/enginefloor-" + port);
        Connector connector = new Connector("org.apache.coyote.http11.Http11NioProtocol");
        connector.setPort(port);
        connector.setProperty("address", "127.0.0.1");
        connector.setProperty("maxThreads", "32");
        tomcat.setConnector(connector);
        Context context = tomcat.addContext("", null);
        ThreadPoolExecutor pool = new ThreadPoolExecutor(32, 32, 60, TimeUnit.SECONDS, new ArrayBlockingQueue<>(1000));
        HttpServlet servlet = async ? new AsyncIngest(pool) : new BlockingIngest();
        Tomcat.addServlet(context, "ingest", servlet).setAsyncSupported(true);
        context.addServletMappingDecoded("/api/events", "ingest");
        tomcat.start();
    }

    static void write(HttpServletResponse response) throws IOException {
        byte[] body = answer();
        response.setStatus(202);
        response.setContentType("application/json");
        response.setContentLength(body.length);
        response.getOutputStream().write(body);
    }

    static final class BlockingIngest extends HttpServlet {
        @Override
        protected void doPost(HttpServletRequest request, HttpServletResponse response) throws IOException {
            try (InputStream in = request.getInputStream()) {
                in.readAllBytes();
            }
            write(response);
        }
    }

    static final class AsyncIngest extends HttpServlet {
        private final ThreadPoolExecutor pool;

        AsyncIngest(ThreadPoolExecutor pool) {
            this.pool = pool;
        }

        @Override
        protected void doPost(HttpServletRequest request, HttpServletResponse response) throws IOException {
            AsyncContext async = request.startAsync();
            async.setTimeout(0);
            ServletInputStream in = request.getInputStream();
            byte[] buffer = new byte[Math.max(request.getContentLength(), 1)];
            in.setReadListener(new ReadListener() {
                int read;

                @Override
                public void onDataAvailable() throws IOException {
                    while (in.isReady() && !in.isFinished()) {
                        int n = in.read(buffer, read, buffer.length - read);
                        if (n < 0) {
                            break;
                        }
                        read += n;
                    }
                }

                @Override
                public void onAllDataRead() {
                    pool.execute(() -> {
                        try {
                            write(response);
                        } catch (IOException gone) {
                            // the client left
                        }
                        async.complete();
                    });
                }

                @Override
                public void onError(Throwable t) {
                    async.complete();
                }
            });
        }
    }

    static void vertx(int port, boolean worker) throws Exception {
        Vertx vertx = Vertx.vertx();
        HttpServer server = vertx.createHttpServer(new HttpServerOptions().setHost("127.0.0.1").setPort(port));
        server.requestHandler(request -> request.body().onSuccess(body -> {
            if (worker) {
                vertx.executeBlocking(() -> answer(), false).onSuccess(answer -> respond(request, answer));
            } else {
                respond(request, answer());
            }
        }));
        server.listen().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    static void respond(io.vertx.core.http.HttpServerRequest request, byte[] answer) {
        request.response().setStatusCode(202).putHeader("Content-Type", "application/json")
                .end(io.vertx.core.buffer.Buffer.buffer(answer));
    }
}
