namespace Engine.Onnx;

/// <summary>
/// A model file that cannot be read or run: a truncated or malformed protobuf, a graph with a cycle, an operator the
/// importer does not support, a tensor whose declared size disagrees with its data, an external-data path outside the
/// model's folder. The message names the file, the node, the operator and the opset where they apply.
/// </summary>
public sealed class OnnxException(string message, Exception? inner = null) : IOException(message, inner);
