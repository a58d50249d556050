using System.Text;

namespace Engine.Data;

/// <summary>Class counts before and after a balancing step.</summary>
public sealed record BalanceReport(string Method, int[] Before, int[] After)
{
    /// <summary>A small table: class, before, after.</summary>
    public override string ToString()
    {
        var sb = new StringBuilder($"{Method}: class counts\n  class   before    after\n");
        for (int c = 0; c < Math.Max(Before.Length, After.Length); c++)
            sb.Append($"  {c,5} {(c < Before.Length ? Before[c] : 0),8} {(c < After.Length ? After[c] : 0),8}\n");
        sb.Append($"  total {Before.Sum(),8} {After.Sum(),8}");
        return sb.ToString();
    }
}
