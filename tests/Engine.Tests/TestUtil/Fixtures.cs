using System.Text.Json;
using System.Text.Json.Serialization;

namespace Engine.Tests.TestUtil;

/// <summary>A tensor stored in a fixture file: shape and row-major values.</summary>
public sealed record FixtureTensor(
    [property: JsonPropertyName("shape")] int[] Shape,
    [property: JsonPropertyName("data")] double[] Data)
{
    /// <summary>A float32 tensor with these values (rank 0 when the shape is empty).</summary>
    public Tensor ToTensor() => Tensor.FromArray(Data.Select(v => (float)v).ToArray(), Shape.Length == 0 ? [1] : Shape).Reshape(Shape);

    /// <summary>An Int32 tensor with these values (indices).</summary>
    public Tensor ToIntTensor() => Tensor.FromArray(Data.Select(v => (int)v).ToArray(), Shape.Length == 0 ? [1] : Shape).Reshape(Shape);

    public float[] Floats => Data.Select(v => (float)v).ToArray();
}

/// <summary>
/// One golden case written by a generator script (tests/Engine.Tests/fixtures/ops/gen_ops.py):
/// the op and its arguments, inputs, the output, an upstream gradient and the input gradients.
/// </summary>
public sealed record OpCase(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("op")] string Op,
    [property: JsonPropertyName("args")] Dictionary<string, JsonElement> Args,
    [property: JsonPropertyName("inputs")] FixtureTensor[] Inputs,
    [property: JsonPropertyName("index")] FixtureTensor[] Index,
    [property: JsonPropertyName("out")] FixtureTensor Out,
    [property: JsonPropertyName("upstream")] double[] Upstream,
    [property: JsonPropertyName("grads")] FixtureTensor[] Grads)
{
    public override string ToString() => Name;

    public int Int(string key) => Args.TryGetValue(key, out var v) ? v.GetInt32() : throw Missing(key);
    public int Int(string key, int fallback) => Args.TryGetValue(key, out var v) ? v.GetInt32() : fallback;
    public float Float(string key) => Args.TryGetValue(key, out var v) ? v.GetSingle() : throw Missing(key);
    public bool Bool(string key, bool fallback = false) => Args.TryGetValue(key, out var v) ? v.GetBoolean() : fallback;
    public int[]? Ints(string key) => Args.TryGetValue(key, out var v) && v.ValueKind == JsonValueKind.Array ? v.EnumerateArray().Select(e => e.GetInt32()).ToArray() : null;
    public float[] Floats(string key) => Args.TryGetValue(key, out var v) ? v.EnumerateArray().Select(e => e.GetSingle()).ToArray() : throw Missing(key);
    public bool Has(string key) => Args.ContainsKey(key);

    private KeyNotFoundException Missing(string key) => new($"fixture case {Name} ({Op}) has no argument '{key}'");
}

public static class Fixtures
{
    private sealed record OpFile([property: JsonPropertyName("cases")] OpCase[] Cases);

    private static readonly Lazy<IReadOnlyDictionary<string, OpCase>> OpCases = new(() =>
    {
        var file = Read<OpFile>("ops/ops.json");
        return file.Cases.ToDictionary(c => c.Name);
    });

    /// <summary>Every case of fixtures/ops/ops.json, by name.</summary>
    public static IReadOnlyDictionary<string, OpCase> Ops => OpCases.Value;

    /// <summary>Full path of a fixture file (fixtures/ is copied next to the test assembly).</summary>
    public static string PathOf(string relative)
    {
        var p = Path.Combine(AppContext.BaseDirectory, "fixtures", relative);
        if (!File.Exists(p)) throw new FileNotFoundException($"fixture file {relative} not found at {p}; regenerate it with the script next to it and rebuild", p);
        return p;
    }

    /// <summary>Deserializes a JSON fixture; errors name the file.</summary>
    public static T Read<T>(string relative)
    {
        var p = PathOf(relative);
        try
        {
            return JsonSerializer.Deserialize<T>(File.ReadAllText(p)) ?? throw new InvalidDataException($"{p}: empty JSON");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{p}: {e.Message}", e);
        }
    }
}
