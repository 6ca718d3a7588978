namespace CrackSeg.Data;

/// <summary>
/// Pavement and concrete backgrounds for <see cref="SyntheticCracks"/>: multi-scale value noise,
/// aggregate speckle, stains, a cast shadow and an illumination gradient. Works on a float
/// luminance field (0–255) plus a per-image colour tint.
/// </summary>
internal static class SyntheticTexture
{
    public enum Surface { Concrete, Asphalt }

    /// <summary>Fills <paramref name="lum"/> (width·height) and returns the surface kind and RGB tint.</summary>
    public static (Surface Kind, float[] Tint) Render(float[] lum, int width, int height, DeterministicRng rng)
    {
        var kind = rng.Chance(0.5) ? Surface.Concrete : Surface.Asphalt;
        float baseLevel = kind == Surface.Concrete ? (float)rng.Uniform(130, 185) : (float)rng.Uniform(70, 125);
        Array.Fill(lum, baseLevel);

        // Multi-scale value noise: broad mottling down to pixel grain.
        double roughness = kind == Surface.Concrete ? rng.Uniform(0.5, 0.75) : rng.Uniform(0.65, 0.85);
        double amplitude = kind == Surface.Concrete ? rng.Uniform(14, 24) : rng.Uniform(10, 18);
        for (int wavelength = Math.Max(width, height) / 2; wavelength >= 2; wavelength /= 2)
        {
            AddValueNoise(lum, width, height, wavelength, (float)amplitude, rng);
            amplitude *= roughness;
        }

        AddSpeckle(lum, width, height, kind, rng);
        int stains = rng.NextInt(5);
        for (int i = 0; i < stains; i++) AddStain(lum, width, height, rng);
        if (rng.Chance(0.5)) AddShadow(lum, width, height, rng);
        AddGradient(lum, width, height, rng);

        float warm = (float)rng.Uniform(-0.04, 0.06);
        float[] tint = kind == Surface.Concrete
            ? [1f + warm, 1f + warm * 0.3f, 1f - warm]
            : [1f + warm * 0.5f, 1f, 1f - warm * 0.2f + 0.02f];
        return (kind, tint);
    }

    /// <summary>Smoothly interpolated random lattice values with the given wavelength (pixels per cell).</summary>
    private static void AddValueNoise(float[] lum, int width, int height, int wavelength, float amplitude, DeterministicRng rng)
    {
        int gw = (width + wavelength - 1) / wavelength + 2, gh = (height + wavelength - 1) / wavelength + 2;
        var grid = new float[gw * gh];
        for (int i = 0; i < grid.Length; i++) grid[i] = (float)(rng.NextDouble() * 2 - 1);
        double ox = rng.NextDouble(), oy = rng.NextDouble();
        for (int y = 0; y < height; y++)
        {
            double fy = y / (double)wavelength + oy;
            int gy = (int)fy;
            float ty = Smooth((float)(fy - gy));
            for (int x = 0; x < width; x++)
            {
                double fx = x / (double)wavelength + ox;
                int gx = (int)fx;
                float tx = Smooth((float)(fx - gx));
                int i00 = gy * gw + gx;
                float top = grid[i00] + (grid[i00 + 1] - grid[i00]) * tx;
                float bottom = grid[i00 + gw] + (grid[i00 + gw + 1] - grid[i00 + gw]) * tx;
                lum[y * width + x] += amplitude * (top + (bottom - top) * ty);
            }
        }
    }

    /// <summary>Aggregate stones and pores: small soft discs, brighter or darker than the matrix.</summary>
    private static void AddSpeckle(float[] lum, int width, int height, Surface kind, DeterministicRng rng)
    {
        double density = kind == Surface.Asphalt ? rng.Uniform(1 / 40.0, 1 / 18.0) : rng.Uniform(1 / 120.0, 1 / 40.0);
        int count = (int)(width * height * density);
        for (int i = 0; i < count; i++)
        {
            double cx = rng.Uniform(0, width), cy = rng.Uniform(0, height);
            double radius = kind == Surface.Asphalt ? rng.Uniform(0.6, 2.4) : rng.Uniform(0.5, 1.6);
            // Asphalt: bright and dark stones; concrete: mostly dark pores.
            double sign = kind == Surface.Asphalt ? (rng.Chance(0.55) ? 1 : -1) : (rng.Chance(0.25) ? 1 : -1);
            float delta = (float)(sign * rng.Uniform(12, kind == Surface.Asphalt ? (sign > 0 ? 55 : 40) : 40));
            Disc(lum, width, height, cx, cy, radius, delta);
        }
    }

    private static void Disc(float[] lum, int width, int height, double cx, double cy, double radius, float delta)
    {
        int x0 = Math.Max(0, (int)(cx - radius - 1)), x1 = Math.Min(width - 1, (int)(cx + radius + 1));
        int y0 = Math.Max(0, (int)(cy - radius - 1)), y1 = Math.Min(height - 1, (int)(cy + radius + 1));
        for (int y = y0; y <= y1; y++)
        for (int x = x0; x <= x1; x++)
        {
            double d = Math.Sqrt((x + 0.5 - cx) * (x + 0.5 - cx) + (y + 0.5 - cy) * (y + 0.5 - cy));
            double w = Math.Clamp(radius + 0.5 - d, 0, 1);
            if (w > 0) lum[y * width + x] += (float)(delta * w);
        }
    }

    /// <summary>A large blob with a wobbly outline and soft edge (oil, damp patch, repair).</summary>
    private static void AddStain(float[] lum, int width, int height, DeterministicRng rng)
    {
        double cx = rng.Uniform(0, width), cy = rng.Uniform(0, height);
        double size = Math.Min(width, height);
        double rx = rng.Uniform(0.08, 0.3) * size, ry = rng.Uniform(0.08, 0.3) * size;
        double angle = rng.Uniform(0, Math.PI);
        double factor = rng.Chance(0.7) ? rng.Uniform(0.6, 0.9) : rng.Uniform(1.05, 1.15);
        double softness = rng.Uniform(0.15, 0.5);
        var wobble = new double[6];
        for (int i = 0; i < wobble.Length; i++) wobble[i] = rng.Uniform(-0.12, 0.12);
        double cos = Math.Cos(angle), sin = Math.Sin(angle);
        for (int y = 0; y < height; y++)
        for (int x = 0; x < width; x++)
        {
            double dx = x - cx, dy = y - cy;
            double u = (dx * cos + dy * sin) / rx, v = (-dx * sin + dy * cos) / ry;
            double r = Math.Sqrt(u * u + v * v);
            if (r > 1.6) continue;
            double phi = Math.Atan2(v, u);
            double edge = 1 + wobble[0] * Math.Sin(2 * phi + wobble[1] * 20) + wobble[2] * Math.Sin(3 * phi + wobble[3] * 20)
                            + wobble[4] * Math.Sin(5 * phi + wobble[5] * 20);
            double w = Math.Clamp((edge - r) / softness + 0.5, 0, 1);
            if (w > 0) lum[y * width + x] *= (float)(1 + (factor - 1) * w);
        }
    }

    /// <summary>A soft-edged cast shadow: a half-plane or a band (pole, sign) darkening the surface.</summary>
    private static void AddShadow(float[] lum, int width, int height, DeterministicRng rng)
    {
        double angle = rng.Uniform(0, Math.PI);
        double nx = Math.Cos(angle), ny = Math.Sin(angle);
        double offset = rng.Uniform(-0.3, 0.3) * Math.Min(width, height);
        double edge = rng.Uniform(3, 18);
        double darkness = rng.Uniform(0.45, 0.8);
        bool band = rng.Chance(0.5);
        double bandWidth = rng.Uniform(14, 0.35 * Math.Min(width, height));
        for (int y = 0; y < height; y++)
        for (int x = 0; x < width; x++)
        {
            double d = (x - width / 2.0) * nx + (y - height / 2.0) * ny - offset;
            double w = band
                ? Math.Clamp((bandWidth / 2 - Math.Abs(d)) / edge + 0.5, 0, 1)
                : Math.Clamp(d / edge + 0.5, 0, 1);
            if (w > 0) lum[y * width + x] *= (float)(1 - (1 - darkness) * w);
        }
    }

    private static void AddGradient(float[] lum, int width, int height, DeterministicRng rng)
    {
        double angle = rng.Uniform(0, 2 * Math.PI);
        double strength = rng.Uniform(0, 0.18);
        double gx = Math.Cos(angle) * strength / width, gy = Math.Sin(angle) * strength / height;
        for (int y = 0; y < height; y++)
        for (int x = 0; x < width; x++)
            lum[y * width + x] *= (float)(1 + gx * (x - width / 2.0) + gy * (y - height / 2.0));
    }

    private static float Smooth(float t) => t * t * (3 - 2 * t);
}
