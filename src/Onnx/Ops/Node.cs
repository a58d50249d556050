using NodeProto = global::Onnx.NodeProto;
using AttributeProto = global::Onnx.AttributeProto;

namespace Engine.Onnx.Ops;

/// <summary>What a kernel sees when it runs: the device of the model's parameters, and train/eval mode.</summary>
internal sealed record RunContext(Device Device, bool Training);

/// <summary>One compiled node: input values (null for an omitted optional input) to output values.</summary>
internal delegate Value?[] Kernel(Value?[] inputs, RunContext ctx);

/// <summary>
/// A node being compiled: its attributes, typed, with defaults, and errors that name the node, its operator and the
/// opset. Factories read every attribute at load time, so a bad attribute fails before anything runs.
/// </summary>
internal sealed class Node(NodeProto proto, int opset)
{
    public NodeProto Proto { get; } = proto;
    public int Opset { get; } = opset;
    public string Op => Proto.OpType;
    public string Label => $"{Op} node '{(Proto.Name.Length > 0 ? Proto.Name : "(unnamed)")}' (opset {Opset})";

    public OnnxException Error(string message) => new($"{Label}: {message}");

    private AttributeProto? Find(string name) => Proto.Attribute.FirstOrDefault(a => a.Name == name);
    public bool Has(string name) => Find(name) != null;

    public long Int(string name, long dflt) => Find(name) is { } a ? CheckType(a, AttributeProto.Types.AttributeType.Int).I : dflt;
    public float Float(string name, float dflt) => Find(name) is { } a ? CheckType(a, AttributeProto.Types.AttributeType.Float).F : dflt;
    public string Str(string name, string dflt) => Find(name) is { } a ? CheckType(a, AttributeProto.Types.AttributeType.String).S.ToStringUtf8() : dflt;
    public long[]? Ints(string name) => Find(name) is { } a ? CheckType(a, AttributeProto.Types.AttributeType.Ints).Ints.ToArray() : null;
    public float[]? Floats(string name) => Find(name) is { } a ? CheckType(a, AttributeProto.Types.AttributeType.Floats).Floats.ToArray() : null;
    public global::Onnx.TensorProto? Tensor(string name) => Find(name) is { } a ? CheckType(a, AttributeProto.Types.AttributeType.Tensor).T : null;
    public AttributeProto? Attr(string name) => Find(name);

    public int[] IntArray(string name, int[] dflt) => Ints(name)?.Select(v => checked((int)v)).ToArray() ?? dflt;

    private AttributeProto CheckType(AttributeProto a, AttributeProto.Types.AttributeType t)
    {
        // Old exporters leave the type unset; the field that is filled then decides.
        if (a.Type != t && a.Type != AttributeProto.Types.AttributeType.Undefined)
            throw Error($"attribute '{a.Name}' is {a.Type}, expected {t}");
        return a;
    }

    /// <summary>Rejects attributes the kernel would otherwise ignore with a different meaning.</summary>
    public void Refuse(string name, Func<AttributeProto, bool> unsupported, string why)
    {
        if (Find(name) is { } a && unsupported(a)) throw Error($"attribute '{name}': {why}");
    }

    /// <summary>Input i, which must be present.</summary>
    public static Value In(Value?[] inputs, int i, Node n) =>
        i < inputs.Length && inputs[i] is { } v ? v : throw n.Error($"input {i} is missing");

    public static int Axis(long axis, int rank, Node n)
    {
        long a = axis < 0 ? axis + rank : axis;
        if (a < 0 || a >= Math.Max(rank, 1)) throw n.Error($"axis {axis} is out of range for rank {rank}");
        return (int)a;
    }
}
