import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Draws bench/run's figures as a self-contained SVG (no script, no font or style sheet from elsewhere): one or more
 * panels stacked on a shared x axis, each with its own y axis and lines, read from a tab-separated file with a header.
 *
 *   java bench/Chart.java OUT.svg "title" "x label" DATA.tsv XCOL "panel" ["panel" ...]
 *
 * A panel is "y label|COL,COL,...|lin" or "...|log" (log: a logarithmic y axis, for latencies spanning decades).
 * Empty or non-numeric cells are gaps. An optional 4th part "|y=N:label" draws a dashed horizontal line at N.
 */
public class Chart {
    static final String[] COLORS = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b"};
    static final int W = 760, PANEL_H = 230, LEFT = 70, RIGHT = 170, TOP = 40, GAP = 50;

    public static void main(String[] args) throws IOException {
        Path out = Path.of(args[0]);
        String title = args[1], xLabel = args[2];
        List<String> lines = Files.readAllLines(Path.of(args[3]));
        String[] header = lines.get(0).split("\t");
        List<String[]> rows = new ArrayList<>();
        for (String l : lines.subList(1, lines.size())) if (!l.isBlank()) rows.add(l.split("\t", -1));
        int xCol = col(header, args[4]);
        double[] x = rows.stream().mapToDouble(r -> num(r, xCol)).toArray();
        int panels = args.length - 5;
        int h = TOP + panels * (PANEL_H + GAP) + 10;
        StringBuilder svg = new StringBuilder();
        svg.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"12\">%n", W, h, W, h));
        svg.append(String.format("<rect width=\"%d\" height=\"%d\" fill=\"white\"/>%n", W, h));
        svg.append(String.format("<text x=\"%d\" y=\"22\" font-size=\"15\" font-weight=\"bold\">%s</text>%n", LEFT, esc(title)));
        double xMin = min(x), xMax = max(x);
        if (xMax == xMin) xMax = xMin + 1;
        for (int p = 0; p < panels; p++) {
            String[] spec = args[5 + p].split("\\|");
            String[] cols = spec[1].split(",");
            boolean log = spec.length > 2 && spec[2].equals("log");
            int top = TOP + p * (PANEL_H + GAP), plotW = W - LEFT - RIGHT;
            double yMin = Double.MAX_VALUE, yMax = 0;
            for (String c : cols) for (String[] r : rows) {
                double v = num(r, col(header, c));
                if (!Double.isNaN(v) && (!log || v > 0)) { yMin = Math.min(yMin, v); yMax = Math.max(yMax, v); }
            }
            double ref = Double.NaN;
            String refLabel = "";
            if (spec.length > 3 && spec[3].startsWith("y=")) {
                String[] r = spec[3].substring(2).split(":", 2);
                ref = Double.parseDouble(r[0]);
                refLabel = r.length > 1 ? r[1] : "";
                yMax = Math.max(yMax, ref);
                yMin = Math.min(yMin, ref);
            }
            if (yMin == Double.MAX_VALUE) { yMin = 0; yMax = 1; }
            double lo, hi;
            if (log) {
                lo = Math.pow(10, Math.floor(Math.log10(Math.max(yMin, 0.1))));
                hi = Math.pow(10, Math.ceil(Math.log10(Math.max(yMax, lo * 10))));
            } else {
                lo = 0;
                hi = nice(yMax * 1.05);
            }
            final double flo = lo, fhi = hi, fxMin = xMin, fxMax = xMax;
            java.util.function.DoubleUnaryOperator sx = v -> LEFT + (v - fxMin) / (fxMax - fxMin) * plotW;
            java.util.function.DoubleUnaryOperator sy = v -> log
                    ? top + PANEL_H - (Math.log10(Math.max(v, flo)) - Math.log10(flo)) / (Math.log10(fhi) - Math.log10(flo)) * PANEL_H
                    : top + PANEL_H - (v - flo) / (fhi - flo) * PANEL_H;
            svg.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#999\"/>%n", LEFT, top, plotW, PANEL_H));
            List<Double> ticks = new ArrayList<>();
            if (log) for (double t = lo; t <= hi * 1.0001; t *= 10) ticks.add(t);
            else for (int i = 0; i <= 5; i++) ticks.add(lo + (hi - lo) * i / 5);
            for (double t : ticks) {
                double y = sy.applyAsDouble(t);
                svg.append(String.format(Locale.ROOT, "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#eee\"/>%n", LEFT, LEFT + plotW, y, y));
                svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>%n", LEFT - 5, y + 4, fmt(t)));
            }
            for (double t : xTicks(xMin, xMax, x)) {
                double xx = sx.applyAsDouble(t);
                svg.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%d\" y2=\"%d\" stroke=\"#eee\"/>%n", xx, xx, top, top + PANEL_H));
                svg.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>%n", xx, top + PANEL_H + 15, fmt(t)));
            }
            svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" transform=\"rotate(-90 %d %d)\">%s</text>%n",
                    16, top + PANEL_H / 2, 16, top + PANEL_H / 2, esc(spec[0] + (log ? " (log)" : ""))));
            svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%s</text>%n", LEFT + plotW / 2, top + PANEL_H + 32, esc(xLabel)));
            if (!Double.isNaN(ref)) {
                double y = sy.applyAsDouble(ref);
                svg.append(String.format(Locale.ROOT, "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#555\" stroke-dasharray=\"5,4\"/>%n", LEFT, LEFT + plotW, y, y));
                svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%.1f\" fill=\"#555\">%s</text>%n", LEFT + plotW + 8, y + 4, esc(refLabel)));
            }
            for (int c = 0; c < cols.length; c++) {
                int ci = col(header, cols[c]);
                String color = COLORS[c % COLORS.length];
                StringBuilder path = new StringBuilder();
                boolean pen = false;
                for (int i = 0; i < rows.size(); i++) {
                    double v = num(rows.get(i), ci);
                    if (Double.isNaN(v) || (log && v <= 0)) { pen = false; continue; }
                    double px = sx.applyAsDouble(x[i]), py = sy.applyAsDouble(v);
                    path.append(String.format(Locale.ROOT, "%s%.1f,%.1f ", pen ? "L" : "M", px, py));
                    pen = true;
                    svg.append(String.format(Locale.ROOT, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.5\" fill=\"%s\"/>%n", px, py, color));
                }
                svg.append(String.format("<path d=\"%s\" fill=\"none\" stroke=\"%s\" stroke-width=\"2\"/>%n", path.toString().trim(), color));
                int ly = top + 14 + c * 18;
                svg.append(String.format("<line x1=\"%d\" x2=\"%d\" y1=\"%d\" y2=\"%d\" stroke=\"%s\" stroke-width=\"2\"/>%n", LEFT + plotW + 8, LEFT + plotW + 28, ly - 4, ly - 4, color));
                svg.append(String.format("<text x=\"%d\" y=\"%d\">%s</text>%n", LEFT + plotW + 32, ly, esc(cols[c])));
            }
        }
        svg.append("</svg>\n");
        Files.writeString(out, svg);
    }

    static int col(String[] header, String name) {
        for (int i = 0; i < header.length; i++) if (header[i].equals(name)) return i;
        throw new IllegalArgumentException("no column " + name + " in " + String.join(",", header));
    }

    static double num(String[] row, int i) {
        try { return i < row.length ? Double.parseDouble(row[i]) : Double.NaN; } catch (NumberFormatException e) { return Double.NaN; }
    }

    static double min(double[] v) { double m = Double.MAX_VALUE; for (double d : v) if (!Double.isNaN(d)) m = Math.min(m, d); return m == Double.MAX_VALUE ? 0 : m; }

    static double max(double[] v) { double m = -Double.MAX_VALUE; for (double d : v) if (!Double.isNaN(d)) m = Math.max(m, d); return m == -Double.MAX_VALUE ? 1 : m; }

    static double nice(double v) {
        if (v <= 0) return 1;
        double e = Math.pow(10, Math.floor(Math.log10(v))), f = v / e;
        return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 2.5 ? 2.5 : f <= 5 ? 5 : 10) * e;
    }

    /** The data's own x values when few (a rate per point), else about 8 round steps. */
    static List<Double> xTicks(double lo, double hi, double[] x) {
        List<Double> t = new ArrayList<>();
        if (x.length <= 10) { for (double v : x) if (!Double.isNaN(v)) t.add(v); return t; }
        double step = nice((hi - lo) / 8);
        for (double v = Math.ceil(lo / step) * step; v <= hi + 1e-9; v += step) t.add(v);
        return t;
    }

    static String fmt(double v) {
        if (v == Math.rint(v)) return String.format(Locale.ROOT, "%,d", (long) v);
        return String.format(Locale.ROOT, v < 1 ? "%.2f" : "%.1f", v);
    }

    static String esc(String s) { return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"); }
}
