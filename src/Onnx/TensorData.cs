using System.Buffers.Binary;
using Google.Protobuf;
using TensorProto = global::Onnx.TensorProto;

namespace Engine.Onnx;

/// <summary>
/// Decodes a TensorProto (an initializer, a Constant's value) into a <see cref="Value"/>: float types to float32,
/// integer and boolean types to int64 on the host. The declared dims must agree with the data: raw_data (or the
/// external file's slice) must hold exactly numel * element size bytes, a typed field exactly numel entries.
/// </summary>
internal static class TensorData
{
    public static int[] Dims(TensorProto t, string what)
    {
        var dims = new int[t.Dims.Count];
        long numel = 1;
        for (int i = 0; i < dims.Length; i++)
        {
            long d = t.Dims[i];
            if (d < 0 || d > int.MaxValue) throw new OnnxException($"{what}: dimension {i} is {d}");
            dims[i] = (int)d;
            numel *= d;
            if (numel > int.MaxValue) throw new OnnxException($"{what}: dims [{string.Join(",", t.Dims)}] hold more than 2^31 elements");
        }
        return dims;
    }

    /// <summary>The tensor's value; modelDir is where external data is looked up (null: external data refused).</summary>
    public static Value Decode(TensorProto t, string? modelDir, string what)
    {
        var dims = Dims(t, what);
        int numel = 1;
        foreach (var d in dims) numel *= d;
        int type = t.DataType;
        int size = DataTypes.Size(type);
        if (size == 0) throw new OnnxException($"{what}: element type {DataTypes.Name(type)} is not supported (float, float16, double and integer types are)");

        ReadOnlySpan<byte> raw = default;
        bool hasRaw = false;
        if (t.DataLocation == TensorProto.Types.DataLocation.External)
        {
            if (modelDir == null) throw new OnnxException($"{what}: external data is not allowed here");
            string? location = null; long offset = 0; long? length = null;
            foreach (var kv in t.ExternalData)
            {
                switch (kv.Key)
                {
                    case "location": location = kv.Value; break;
                    case "offset": offset = ParseLong(kv.Value, "offset", what); break;
                    case "length": length = ParseLong(kv.Value, "length", what); break;
                }
            }
            raw = ExternalData.Read(modelDir, location ?? "", offset, length, (long)numel * size, t.Name);
            hasRaw = true;
        }
        else if (t.HasRawData)
        {
            raw = t.RawData.Span;
            hasRaw = true;
            if (raw.Length != (long)numel * size)
                throw new OnnxException($"{what}: raw_data has {raw.Length} bytes but dims {Engine.Shape.Format(dims)} of {DataTypes.Name(type)} declare {(long)numel * size}");
        }

        if (DataTypes.IsFloating(type))
        {
            var f = new float[numel];
            if (hasRaw)
            {
                for (int i = 0; i < numel; i++)
                    f[i] = type switch
                    {
                        DataTypes.Float => BinaryPrimitives.ReadSingleLittleEndian(raw.Slice(i * 4)),
                        DataTypes.Double => (float)BinaryPrimitives.ReadDoubleLittleEndian(raw.Slice(i * 8)),
                        _ => (float)BinaryPrimitives.ReadHalfLittleEndian(raw.Slice(i * 2)),
                    };
            }
            else if (type == DataTypes.Float) Fill(f, t.FloatData.Count, numel, what, i => t.FloatData[i]);
            else if (type == DataTypes.Double) Fill(f, t.DoubleData.Count, numel, what, i => (float)t.DoubleData[i]);
            // float16 in int32_data: the low 16 bits of each entry are the half's bits.
            else Fill(f, t.Int32Data.Count, numel, what, i => (float)BitConverter.UInt16BitsToHalf((ushort)t.Int32Data[i]));
            return Value.OfFloats(f, dims);
        }

        var v = new long[numel];
        if (hasRaw)
        {
            for (int i = 0; i < numel; i++)
                v[i] = type switch
                {
                    DataTypes.Int64 => BinaryPrimitives.ReadInt64LittleEndian(raw.Slice(i * 8)),
                    DataTypes.Uint64 => (long)BinaryPrimitives.ReadUInt64LittleEndian(raw.Slice(i * 8)),
                    DataTypes.Int32 => BinaryPrimitives.ReadInt32LittleEndian(raw.Slice(i * 4)),
                    DataTypes.Uint32 => BinaryPrimitives.ReadUInt32LittleEndian(raw.Slice(i * 4)),
                    DataTypes.Int16 => BinaryPrimitives.ReadInt16LittleEndian(raw.Slice(i * 2)),
                    DataTypes.Uint16 => BinaryPrimitives.ReadUInt16LittleEndian(raw.Slice(i * 2)),
                    DataTypes.Int8 => (sbyte)raw[i],
                    _ => raw[i],
                };
        }
        else if (type is DataTypes.Int64) Fill(v, t.Int64Data.Count, numel, what, i => t.Int64Data[i]);
        else if (type is DataTypes.Uint64 or DataTypes.Uint32) Fill(v, t.Uint64Data.Count, numel, what, i => (long)t.Uint64Data[i]);
        else Fill(v, t.Int32Data.Count, numel, what, i => t.Int32Data[i]);
        if (type == DataTypes.Bool) for (int i = 0; i < v.Length; i++) v[i] = v[i] != 0 ? 1 : 0;
        return Value.OfInts(v, dims, type == DataTypes.Bool ? DataTypes.Bool : DataTypes.Int64);
    }

    private static void Fill<T>(T[] dst, int count, int numel, string what, Func<int, T> at)
    {
        if (count != numel) throw new OnnxException($"{what}: holds {count} values but its dims declare {numel}");
        for (int i = 0; i < numel; i++) dst[i] = at(i);
    }

    private static long ParseLong(string s, string key, string what) =>
        long.TryParse(s, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var v)
            ? v : throw new OnnxException($"{what}: external data {key} '{s}' is not a non-negative integer");
}
