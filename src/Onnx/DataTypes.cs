namespace Engine.Onnx;

/// <summary>ONNX's TensorProto.DataType numbers and names (onnx.proto), and which the importer reads.</summary>
internal static class DataTypes
{
    public const int Float = 1, Uint8 = 2, Int8 = 3, Uint16 = 4, Int16 = 5, Int32 = 6, Int64 = 7, String = 8, Bool = 9,
        Float16 = 10, Double = 11, Uint32 = 12, Uint64 = 13;

    public static string Name(int t) => Enum.IsDefined(typeof(global::Onnx.TensorProto.Types.DataType), t)
        ? ((global::Onnx.TensorProto.Types.DataType)t).ToString().ToLowerInvariant() : $"type {t}";

    public static bool IsInteger(int t) => t is Uint8 or Int8 or Uint16 or Int16 or Int32 or Int64 or Bool or Uint32 or Uint64;
    public static bool IsFloating(int t) => t is Float or Float16 or Double;

    /// <summary>Bytes per element of raw_data for the types the importer reads; 0 for others.</summary>
    public static int Size(int t) => t switch
    {
        Float or Int32 or Uint32 => 4,
        Int64 or Double or Uint64 => 8,
        Float16 or Int16 or Uint16 => 2,
        Uint8 or Int8 or Bool => 1,
        _ => 0,
    };
}
