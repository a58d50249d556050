using System.Globalization;
using System.Text;

namespace Engine.Data;

/// <summary>A CSV file as text: the header (or generated names c0, c1, ...) and rectangular rows of fields.</summary>
public sealed record CsvTable(string Path, string[] Columns, string[][] Rows, int[] LineNumbers)
{
    /// <summary>Index of a column by name (or by number when given as digits); the error lists the columns.</summary>
    public int ColumnIndex(string column)
    {
        int i = Array.IndexOf(Columns, column);
        if (i >= 0) return i;
        if (int.TryParse(column, NumberStyles.None, CultureInfo.InvariantCulture, out i) && i < Columns.Length) return i;
        throw new ArgumentException($"{Path}: no column '{column}'; the columns are {string.Join(", ", Columns)}");
    }
}

/// <summary>A numeric table: features [N, F] row-major, and labels [N] when a label column was named.</summary>
public sealed record CsvData(float[] Features, int Rows, string[] FeatureNames, int[]? Labels, string[]? ClassNames)
{
    public int FeatureCount => FeatureNames.Length;

    /// <summary>Features [F] per sample with their labels (labels are required).</summary>
    public TensorDataset ToDataset() =>
        new(Features, Labels ?? throw new InvalidOperationException("CSV data has no label column; name one with labelColumn"), FeatureCount);
}

/// <summary>
/// A strict CSV reader (RFC 4180 quoting, no fields spanning lines). A ragged row or a field that is not a
/// number gives an <see cref="InvalidDataException"/> naming the file, the line, the column and the
/// problem; nothing is skipped or zero-filled. Blank lines are allowed only at the end of the file.
/// </summary>
public static class Csv
{
    /// <summary>Reads the fields of every row; all rows must have as many fields as the first (or the header).</summary>
    public static CsvTable ReadTable(string path, bool hasHeader = true, char separator = ',')
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"CSV file not found: {path}", path);
        return ParseTable(ReadLines(path), path, hasHeader, separator);
    }

    /// <summary>
    /// The file's lines, gunzipped when it starts with gzip's magic bytes (whatever its name): data.csv.gz reads as
    /// data.csv. Other compressed or binary files are refused with what they look like, instead of a "ragged row".
    /// </summary>
    internal static string[] ReadLines(string path)
    {
        var head = new byte[8];
        int n;
        using (var f = File.OpenRead(path)) n = f.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        if (n >= 2 && head[0] == 0x1F && head[1] == 0x8B)
        {
            using var gz = new System.IO.Compression.GZipStream(File.OpenRead(path), System.IO.Compression.CompressionMode.Decompress);
            using var reader = new StreamReader(gz);
            var lines = new List<string>();
            try { while (reader.ReadLine() is { } line) lines.Add(line); }
            catch (InvalidDataException e) { throw new InvalidDataException($"{path}: a damaged or truncated gzip file ({e.Message})", e); }
            Refuse(path, lines.Count > 0 ? System.Text.Encoding.UTF8.GetBytes(lines[0][..Math.Min(lines[0].Length, 8)]) : [], n: 8, inside: "inside its gzip layer ");
            return lines.ToArray();
        }
        Refuse(path, head, n, inside: "");
        return File.ReadAllLines(path);
    }

    // Magic numbers of what a CSV path sometimes holds instead: the message says what it is and how to read it.
    private static void Refuse(string path, byte[] head, int n, string inside)
    {
        bool Starts(params byte[] magic) => n >= magic.Length && head.Length >= magic.Length && head.AsSpan(0, magic.Length).SequenceEqual(magic);
        string? what =
            Starts(0x50, 0x4B, 0x03, 0x04) ? "a zip archive; unzip it and read the .csv inside" :
            Starts(0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00) ? "an xz-compressed file; decompress it first (xz -d)" :
            Starts(0x42, 0x5A, 0x68) ? "a bzip2-compressed file; decompress it first (bunzip2)" :
            Starts(0x28, 0xB5, 0x2F, 0xFD) ? "a zstd-compressed file; decompress it first (zstd -d)" :
            Starts(0x1F, 0x8B) ? "gzip inside gzip; decompress it once first" :
            Array.IndexOf(head, (byte)0, 0, Math.Min(n, head.Length)) >= 0 ? "a binary file (it holds NUL bytes), not text" : null;
        if (what != null) throw new InvalidDataException($"{path}: {inside}not CSV text but {what} (Csv.Read reads plain or gzip-compressed CSV)");
    }

    /// <summary>Parses CSV lines; name is used in error messages.</summary>
    public static CsvTable ParseTable(IReadOnlyList<string> lines, string name, bool hasHeader = true, char separator = ',')
    {
        int last = lines.Count;
        while (last > 0 && lines[last - 1].Trim().Length == 0) last--;
        if (last == 0) throw new InvalidDataException($"{name}: the file is empty");
        string[]? columns = null;
        var rows = new List<string[]>(); var lineNos = new List<int>();
        for (int li = 0; li < last; li++)
        {
            int lineNo = li + 1;
            if (lines[li].Trim().Length == 0)
                throw new InvalidDataException($"{name}, line {lineNo}: blank line inside the data (rows must be contiguous)");
            var fields = SplitLine(lines[li], separator, name, lineNo);
            if (columns == null)
            {
                if (hasHeader) { columns = fields.Select(f => f.Trim()).ToArray(); continue; }
                columns = Enumerable.Range(0, fields.Length).Select(i => $"c{i}").ToArray();
            }
            if (fields.Length != columns.Length)
                throw new InvalidDataException($"{name}, line {lineNo}: ragged row: {fields.Length} fields, but the {(hasHeader ? "header" : "first row")} has {columns.Length}" +
                    (fields.Length < columns.Length ? $" (missing from column {fields.Length + 1}, '{columns[fields.Length]}')" : $" (extra field at column {columns.Length + 1})"));
            rows.Add(fields); lineNos.Add(lineNo);
        }
        return new CsvTable(name, columns!, rows.ToArray(), lineNos.ToArray());
    }

    /// <summary>
    /// Reads a numeric CSV. Every column except labelColumn must hold numbers (invariant culture). The label
    /// column holds integer class ids (kept as they are) or class names (mapped to 0..K-1 in sorted order).
    /// </summary>
    public static CsvData Read(string path, bool hasHeader = true, string? labelColumn = null, char separator = ',') =>
        ToNumeric(ReadTable(path, hasHeader, separator), labelColumn);

    /// <summary>Converts a table to numbers (see <see cref="Read"/>).</summary>
    public static CsvData ToNumeric(CsvTable table, string? labelColumn = null)
    {
        int lc = labelColumn == null ? -1 : table.ColumnIndex(labelColumn);
        var featCols = Enumerable.Range(0, table.Columns.Length).Where(c => c != lc).ToArray();
        int n = table.Rows.Length, f = featCols.Length;
        var x = new float[n * f];
        for (int r = 0; r < n; r++)
            for (int k = 0; k < f; k++)
            {
                int c = featCols[k];
                string s = table.Rows[r][c].Trim();
                if (!float.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out float v))
                    throw new InvalidDataException($"{table.Path}, line {table.LineNumbers[r]}, column {c + 1} ('{table.Columns[c]}'): " +
                        (s.Length == 0 ? "empty field where a number is expected" : $"'{s}' is not a number"));
                x[r * f + k] = v;
            }
        int[]? labels = null; string[]? classes = null;
        if (lc >= 0) (labels, classes) = Labels(table, lc);
        return new CsvData(x, n, featCols.Select(c => table.Columns[c]).ToArray(), labels, classes);
    }

    private static (int[] labels, string[]? classes) Labels(CsvTable t, int lc)
    {
        var raw = t.Rows.Select(r => r[lc].Trim()).ToArray();
        var ints = new int[raw.Length];
        bool allInts = true;
        for (int i = 0; i < raw.Length && allInts; i++)
            allInts = int.TryParse(raw[i], NumberStyles.Integer, CultureInfo.InvariantCulture, out ints[i]);
        if (allInts)
        {
            for (int i = 0; i < ints.Length; i++)
                if (ints[i] < 0) throw new InvalidDataException($"{t.Path}, line {t.LineNumbers[i]}, column {lc + 1} ('{t.Columns[lc]}'): negative class id {ints[i]}");
            return (ints, null);
        }
        for (int i = 0; i < raw.Length; i++)
            if (raw[i].Length == 0) throw new InvalidDataException($"{t.Path}, line {t.LineNumbers[i]}, column {lc + 1} ('{t.Columns[lc]}'): empty label");
        var classes = raw.Distinct().Order(StringComparer.Ordinal).ToArray();
        return (raw.Select(s => Array.BinarySearch(classes, s, StringComparer.Ordinal)).ToArray(), classes);
    }

    // One line into fields. Quoted fields may hold the separator and doubled quotes ("").
    private static string[] SplitLine(string line, char sep, string name, int lineNo)
    {
        var fields = new List<string>();
        var sb = new StringBuilder();
        int i = 0;
        while (true)
        {
            sb.Clear();
            if (i < line.Length && line[i] == '"')
            {
                int open = i++;
                while (true)
                {
                    if (i >= line.Length) throw new InvalidDataException($"{name}, line {lineNo}, column {fields.Count + 1}: quote opened at character {open + 1} is never closed");
                    if (line[i] == '"')
                    {
                        if (i + 1 < line.Length && line[i + 1] == '"') { sb.Append('"'); i += 2; continue; }
                        i++; break;
                    }
                    sb.Append(line[i++]);
                }
                if (i < line.Length && line[i] != sep)
                    throw new InvalidDataException($"{name}, line {lineNo}, column {fields.Count + 1}: unexpected '{line[i]}' after a closing quote at character {i + 1}");
            }
            else
                while (i < line.Length && line[i] != sep) sb.Append(line[i++]);
            fields.Add(sb.ToString());
            if (i >= line.Length) return fields.ToArray();
            i++; // the separator
        }
    }
}
