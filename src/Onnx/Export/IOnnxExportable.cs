using Engine.Onnx.Export;
using AttributeProto = global::Onnx.AttributeProto;

namespace Engine.Onnx;

/// <summary>
/// A custom module that writes its own ONNX nodes, for <see cref="OnnxExport"/>: the exporter knows the engine's
/// layers, and a module whose forward is code of its own (a reshape, a pick of the last timestep) says here what
/// that code is in ONNX, exporting its children through <see cref="OnnxGraph.Child"/>.
/// </summary>
/// <example><code>
/// // forward: rows = x.Reshape(B, T, W); y = lstm(rows); return head(y[:, T-1])
/// public string ExportOnnx(OnnxGraph g, string input, Tensor x)
/// {
///     var rows = g.Node("Reshape", [input, g.Ints(0, T, W)]);                 // 0 keeps the (free) batch dim
///     var (seq, ys) = g.Child(_lstm, "lstm", rows, x.Reshape(B, T, W));
///     var last = g.Node("Gather", [seq, g.Scalar(T - 1)], OnnxGraph.Attr("axis", 1L));
///     return g.Child(_head, "head", last, ys.Select(1, T - 1)).Name;
/// }
/// </code></example>
public interface IOnnxExportable
{
    /// <summary>Writes the nodes that compute this module's forward from the value named input (whose sample is x); returns the output's name.</summary>
    string ExportOnnx(OnnxGraph graph, string input, Tensor x);
}

/// <summary>The graph being written, as an <see cref="IOnnxExportable"/> module sees it: nodes, int64 constants, children.</summary>
public sealed class OnnxGraph
{
    private readonly GraphWriter _w;
    private readonly string _path, _scope;

    internal OnnxGraph(GraphWriter w, string path)
    {
        _w = w; _path = path; _scope = path.Length == 0 ? "root" : path.Replace('.', '/');
    }

    /// <summary>The opset being written (13-17).</summary>
    public int Opset => _w.Opset;

    /// <summary>Adds a node of the default domain; returns its output's name.</summary>
    public string Node(string op, string[] inputs, params AttributeProto[] attributes) => _w.Node(op, _scope, inputs, attributes);

    /// <summary>A 1-D int64 constant (shapes, axes); returns its name.</summary>
    public string Ints(params long[] values) => _w.Ints("const", values);

    /// <summary>A 0-D int64 constant (a Gather index that drops the axis); returns its name.</summary>
    public string Scalar(long value) => _w.Scalar("const", value);

    /// <summary>Exports a child module registered under name (its initializers take the state-dict names path.name.*).</summary>
    public (string Name, Tensor Output) Child(Module child, string name, string input, Tensor x)
    {
        var (n, y) = Layers.Export(child, _path.Length == 0 ? name : $"{_path}.{name}", input, x, _w);
        return (n, y);
    }

    public static AttributeProto Attr(string name, long value) => GraphWriter.Attr(name, value);
    public static AttributeProto Attr(string name, float value) => GraphWriter.Attr(name, value);
    public static AttributeProto Attr(string name, string value) => GraphWriter.Attr(name, value);
    public static AttributeProto Attr(string name, params long[] values) => GraphWriter.Attr(name, values);
}
