using System.Text.Json;

namespace Engine.Tests.Optim;

/// <summary>Reads the PyTorch fixtures of fixtures/optim (made by fixtures/optim/generate.py).</summary>
internal static class OptimFixtures
{
    public static JsonElement Load(string file)
    {
        var path = Path.Combine(AppContext.BaseDirectory, "fixtures", "optim", file);
        if (!File.Exists(path)) throw new FileNotFoundException($"optimizer fixture {path} is missing; run fixtures/optim/generate.py", path);
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        return doc.RootElement.Clone();
    }

    public static float[] Floats(this JsonElement e) => e.EnumerateArray().Select(x => x.GetSingle()).ToArray();
    public static double[] Doubles(this JsonElement e) => e.EnumerateArray().Select(x => x.GetDouble()).ToArray();

    public static JsonElement Case(JsonElement root, string name) =>
        root.GetProperty("cases").EnumerateArray().FirstOrDefault(c => c.GetProperty("name").GetString() == name) is { ValueKind: JsonValueKind.Object } c
            ? c : throw new KeyNotFoundException($"fixture case '{name}' not found");

    public static IEnumerable<object[]> CaseNames(string file) =>
        Load(file).GetProperty("cases").EnumerateArray().Select(c => new object[] { c.GetProperty("name").GetString()! });

    /// <summary>Asserts |a - e| &lt;= atol + rtol |e| elementwise, naming the first bad index.</summary>
    public static void Close(IReadOnlyList<double> expected, IReadOnlyList<double> actual, double rtol, double atol, string what)
    {
        Assert.True(expected.Count == actual.Count, $"{what}: {actual.Count} values, expected {expected.Count}");
        for (int i = 0; i < expected.Count; i++)
        {
            double e = expected[i], a = actual[i];
            if (!(Math.Abs(a - e) <= atol + rtol * Math.Abs(e)))
                Assert.Fail($"{what}: element {i} is {a:R}, expected {e:R} (|diff| {Math.Abs(a - e):E3})");
        }
    }

    public static void Close(float[] expected, float[] actual, double rtol, double atol, string what) =>
        Close(expected.Select(x => (double)x).ToArray(), actual.Select(x => (double)x).ToArray(), rtol, atol, what);
}
