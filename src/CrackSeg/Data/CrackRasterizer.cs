namespace CrackSeg.Data;

/// <summary>A crack centre line with a half-width per vertex and a darkness (0–1 reduction of the surface).</summary>
internal sealed record CrackPath(List<(double X, double Y)> Points, List<double> HalfWidths, double Darkness);

/// <summary>
/// Grows branching random-walk cracks and rasterises them. The mask is exact by construction:
/// a pixel is crack when its centre lies within the local half-width of a segment. The image
/// darkens most on the centre line, a little less towards the crack's edge, and fades over one
/// pixel outside it (soft edge), which is also where the mask ends.
/// </summary>
internal static class CrackRasterizer
{
    private const double Step = 2.0;
    private const double SoftEdge = 1.2;

    /// <param name="contrast">Scales crack darkness: cracks in busy asphalt read darker than in smooth concrete.</param>
    public static List<CrackPath> Grow(int width, int height, double contrast, DeterministicRng rng)
    {
        var cracks = new List<CrackPath>();
        double u = rng.NextDouble();
        int mains = u < 0.08 ? 0 : u < 0.53 ? 1 : u < 0.85 ? 2 : 3;
        double span = Math.Max(width, height);
        for (int i = 0; i < mains; i++)
        {
            (double x, double y, double heading) = StartPoint(width, height, rng);
            double length = rng.Uniform(0.5, 1.3) * span;
            double baseWidth = 1.0 + 5.0 * Math.Pow(rng.NextDouble(), 1.7);
            double darkness = Math.Min(0.8, rng.Uniform(0.3, 0.65) * contrast);
            Walk(cracks, width, height, x, y, heading, length, baseWidth, darkness, depth: 0, rng);
        }
        return cracks;
    }

    private static (double, double, double) StartPoint(int width, int height, DeterministicRng rng)
    {
        if (rng.Chance(0.6))
        {
            // Enter from an edge, heading inwards.
            return rng.NextInt(4) switch
            {
                0 => (0.0, rng.Uniform(0, height), rng.Uniform(-0.7, 0.7)),
                1 => (width, rng.Uniform(0, height), Math.PI + rng.Uniform(-0.7, 0.7)),
                2 => (rng.Uniform(0, width), 0.0, Math.PI / 2 + rng.Uniform(-0.7, 0.7)),
                _ => (rng.Uniform(0, width), height, -Math.PI / 2 + rng.Uniform(-0.7, 0.7)),
            };
        }
        return (rng.Uniform(0.15, 0.85) * width, rng.Uniform(0.15, 0.85) * height, rng.Uniform(0, 2 * Math.PI));
    }

    private static void Walk(List<CrackPath> cracks, int width, int height, double x, double y, double heading,
        double length, double baseWidth, double darkness, int depth, DeterministicRng rng)
    {
        int steps = Math.Max(2, (int)(length / Step));
        double trend = heading;
        double wPhase = rng.Uniform(0, 2 * Math.PI), wFreq = rng.Uniform(0.02, 0.08);
        var points = new List<(double, double)>(steps + 1) { (x, y) };
        var halfWidths = new List<double>(steps + 1);
        var branches = new List<(double X, double Y, double Heading, double Width)>();
        int maxBranches = depth >= 2 ? 0 : 3;
        for (int s = 1; s <= steps; s++)
        {
            // Mean-reverting heading: jagged locally, roughly straight overall, with rare kinks.
            heading += rng.NextGaussian() * 0.2 + 0.06 * (trend - heading);
            if (rng.Chance(0.015)) trend += rng.Uniform(-0.7, 0.7);
            double nx = x + Math.Cos(heading) * Step, ny = y + Math.Sin(heading) * Step;
            if (nx < 0 || ny < 0 || nx > width || ny > height)
            {
                // Stop on the image border: a centre line outside the frame would shade border pixels
                // that the mask cannot contain.
                points.Add(ClipToFrame(x, y, nx, ny, width, height));
                break;
            }
            x = nx;
            y = ny;
            points.Add((x, y));
            if (branches.Count < maxBranches && s > 4 && rng.Chance(0.012))
            {
                double side = rng.Chance(0.5) ? 1 : -1;
                branches.Add((x, y, heading + side * rng.Uniform(0.4, 1.2), 0));
            }
        }
        for (int i = 0; i < points.Count; i++)
        {
            double t = points.Count == 1 ? 0 : i / (double)(points.Count - 1);
            double taper = Math.Min(1.0, Math.Min(t, 1 - t) / 0.15) * 0.5 + 0.5; // thinner at both ends
            double wobble = 0.75 + 0.25 * Math.Sin(wPhase + i * wFreq * Step) + 0.1 * rng.NextGaussian();
            halfWidths.Add(Math.Max(0.5, baseWidth * taper * Math.Clamp(wobble, 0.45, 1.3) / 2));
        }
        cracks.Add(new CrackPath(points, halfWidths, darkness));
        foreach (var b in branches)
        {
            Walk(cracks, width, height, b.X, b.Y, b.Heading, length * rng.Uniform(0.15, 0.45),
                Math.Max(1.0, baseWidth * rng.Uniform(0.4, 0.8)), darkness * rng.Uniform(0.8, 1.0), depth + 1, rng);
        }
    }

    /// <summary>The point where the segment from an inside point to an outside point crosses the frame.</summary>
    private static (double, double) ClipToFrame(double x0, double y0, double x1, double y1, int width, double height)
    {
        double t = 1;
        if (x1 < 0) t = Math.Min(t, x0 / (x0 - x1));
        if (x1 > width) t = Math.Min(t, (width - x0) / (x1 - x0));
        if (y1 < 0) t = Math.Min(t, y0 / (y0 - y1));
        if (y1 > height) t = Math.Min(t, (height - y0) / (y1 - y0));
        return (Math.Clamp(x0 + t * (x1 - x0), 0, width), Math.Clamp(y0 + t * (y1 - y0), 0, height));
    }

    /// <summary>Rasterises <paramref name="cracks"/>: sets mask pixels (255) and the per-pixel darkening (max over cracks).</summary>
    public static void Rasterise(IEnumerable<CrackPath> cracks, int width, int height, byte[] mask, float[] darkening)
    {
        foreach (var crack in cracks)
        {
            for (int i = 0; i + 1 < crack.Points.Count; i++)
                Segment(crack.Points[i], crack.Points[i + 1], crack.HalfWidths[i], crack.HalfWidths[i + 1],
                    crack.Darkness, width, height, mask, darkening);
        }
    }

    private static void Segment((double X, double Y) a, (double X, double Y) b, double ha, double hb, double darkness,
        int width, int height, byte[] mask, float[] darkening)
    {
        double reach = Math.Max(ha, hb) + SoftEdge + 1;
        int x0 = Math.Max(0, (int)Math.Floor(Math.Min(a.X, b.X) - reach)), x1 = Math.Min(width - 1, (int)Math.Ceiling(Math.Max(a.X, b.X) + reach));
        int y0 = Math.Max(0, (int)Math.Floor(Math.Min(a.Y, b.Y) - reach)), y1 = Math.Min(height - 1, (int)Math.Ceiling(Math.Max(a.Y, b.Y) + reach));
        double dx = b.X - a.X, dy = b.Y - a.Y;
        double len2 = dx * dx + dy * dy;
        // Thin cracks only partly cover a pixel: they read lighter than wide ones.
        for (int y = y0; y <= y1; y++)
        for (int x = x0; x <= x1; x++)
        {
            double px = x + 0.5 - a.X, py = y + 0.5 - a.Y;
            double t = len2 > 0 ? Math.Clamp((px * dx + py * dy) / len2, 0, 1) : 0;
            double ex = px - t * dx, ey = py - t * dy;
            double dist = Math.Sqrt(ex * ex + ey * ey);
            double half = ha + (hb - ha) * t;
            double coverage = Math.Min(1.0, 0.55 + 0.45 * half);
            double weight;
            if (dist <= half)
            {
                mask[y * width + x] = 255;
                double r = dist / half;
                weight = coverage * (1 - 0.3 * r * r);
            }
            else if (dist < half + SoftEdge)
            {
                double f = 1 - (dist - half) / SoftEdge;
                weight = coverage * 0.45 * f * f;
            }
            else continue;
            float dark = (float)(darkness * weight);
            int p = y * width + x;
            if (dark > darkening[p]) darkening[p] = dark;
        }
    }
}
