namespace Engine.Data;

/// <summary>
/// Maps categorical columns (strings) to integer ids for <c>Embedding</c> layers: per column, id 0 is the
/// unknown bucket (values never seen in training, or seen fewer than minFrequency times) and the known
/// values get 1..V in sorted (ordinal) order. Feed column j's ids to an Embedding(Cardinality[j], dim).
/// </summary>
/// <remarks>
/// Embeddings versus one-hot: a one-hot vector of V values followed by a Linear layer is the same function as
/// an Embedding of V rows, but costs a V-wide input and a dense V x dim matmul; the embedding is a row
/// lookup. Use <see cref="OneHot"/> when a model without embeddings (a plain MLP, a linear baseline) needs
/// the features; its layout puts each column's Cardinality[j] slots side by side, unknown slot first.
/// </remarks>
public sealed class CategoricalEncoder
{
    private readonly Dictionary<string, int>[] _maps;

    private CategoricalEncoder(string[] columns, Dictionary<string, int>[] maps, string[][] vocab)
    {
        Columns = columns; _maps = maps; Vocabulary = vocab;
    }

    /// <summary>The encoded column names.</summary>
    public string[] Columns { get; }

    /// <summary>Per column, the known values in id order (id = position + 1).</summary>
    public string[][] Vocabulary { get; }

    /// <summary>Per column, the number of ids including the unknown bucket: V + 1.</summary>
    public int[] Cardinality => Vocabulary.Select(v => v.Length + 1).ToArray();

    public const int Unknown = 0;

    /// <summary>Learns the vocabulary of the named columns from the training table.</summary>
    public static CategoricalEncoder Fit(CsvTable table, string[] columns, int minFrequency = 1)
    {
        if (minFrequency < 1) throw new ArgumentOutOfRangeException(nameof(minFrequency), $"categorical encoder: minFrequency must be >= 1, got {minFrequency}");
        var idx = columns.Select(table.ColumnIndex).ToArray();
        var maps = new Dictionary<string, int>[columns.Length];
        var vocab = new string[columns.Length][];
        for (int j = 0; j < columns.Length; j++)
        {
            var counts = new Dictionary<string, int>(StringComparer.Ordinal);
            foreach (var row in table.Rows)
            {
                var v = row[idx[j]].Trim();
                counts[v] = counts.GetValueOrDefault(v) + 1;
            }
            vocab[j] = counts.Where(kv => kv.Value >= minFrequency).Select(kv => kv.Key).Order(StringComparer.Ordinal).ToArray();
            maps[j] = new Dictionary<string, int>(StringComparer.Ordinal);
            for (int i = 0; i < vocab[j].Length; i++) maps[j][vocab[j][i]] = i + 1;
        }
        return new CategoricalEncoder(columns, maps, vocab);
    }

    /// <summary>The id of a value in column j (0 when unknown).</summary>
    public int Encode(int column, string value) => _maps[column].GetValueOrDefault(value.Trim(), Unknown);

    /// <summary>Ids [N, columns] (row-major) for the same columns of any table (train, validation, test).</summary>
    public int[] Transform(CsvTable table)
    {
        var idx = Columns.Select(table.ColumnIndex).ToArray();
        var r = new int[table.Rows.Length * Columns.Length];
        for (int n = 0; n < table.Rows.Length; n++)
            for (int j = 0; j < Columns.Length; j++) r[n * Columns.Length + j] = Encode(j, table.Rows[n][idx[j]]);
        return r;
    }

    /// <summary>Ids of column j as an Int32 tensor [N], ready for Embedding(Cardinality[j], dim).</summary>
    public Tensor TransformColumn(CsvTable table, int column)
    {
        int c = table.ColumnIndex(Columns[column]);
        return Tensor.FromArray(table.Rows.Select(row => Encode(column, row[c])).ToArray(), table.Rows.Length);
    }

    /// <summary>The one-hot alternative: [N, sum(Cardinality)] floats, column j's slots at offset sum_{i&lt;j} Cardinality[i], unknown first.</summary>
    public Tensor OneHot(CsvTable table)
    {
        var ids = Transform(table);
        var card = Cardinality;
        int width = card.Sum(), n = table.Rows.Length;
        var r = new float[n * width];
        for (int i = 0; i < n; i++)
        {
            int off = 0;
            for (int j = 0; j < Columns.Length; j++) { r[i * width + off + ids[i * Columns.Length + j]] = 1; off += card[j]; }
        }
        return Tensor.FromArray(r, n, width);
    }
}
