namespace Engine.Onnx.Ops;

/// <summary>
/// The operators the importer supports (domain ai.onnx), each a factory that reads a node's attributes at load time
/// and returns its kernel. One file per family: <see cref="Elementwise"/>, <see cref="NnOps"/>, <see cref="ShapeOps"/>,
/// <see cref="ReduceOps"/>.
/// </summary>
internal static class Registry
{
    private static readonly Dictionary<string, Func<Node, Kernel>> Factories = Build();

    private static Dictionary<string, Func<Node, Kernel>> Build()
    {
        var d = new Dictionary<string, Func<Node, Kernel>>(StringComparer.Ordinal);
        Elementwise.Register(d);
        NnOps.Register(d);
        ShapeOps.Register(d);
        ReduceOps.Register(d);
        RecurrentOps.Register(d);
        return d;
    }

    public static IReadOnlyCollection<string> Supported => Factories.Keys;

    public static bool TryGet(string op, out Func<Node, Kernel> factory) => Factories.TryGetValue(op, out factory!);
}
