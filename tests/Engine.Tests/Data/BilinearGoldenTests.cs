using System.Text.Json;
using Engine.Data;

namespace Engine.Tests.Data;

/// <summary>Bilinear resampling against PyTorch's interpolate (fixtures/data/make_bilinear.py).</summary>
public class BilinearGoldenTests
{
    [Fact]
    public void MatchesTorchInterpolate()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "fixtures", "data", "bilinear.json")));
        int n = 0;
        foreach (var c in doc.RootElement.GetProperty("cases").EnumerateArray())
        {
            int I(string k) => c.GetProperty(k).GetInt32();
            float[] F(string k) => c.GetProperty(k).EnumerateArray().Select(e => e.GetSingle()).ToArray();
            var img = new Image(I("c"), I("h"), I("w"), F("x"));
            var r = Bilinear.Resize(img, I("top"), I("left"), I("wh"), I("ww"), I("outH"), I("outW"));
            var y = F("y");
            Assert.Equal(y.Length, r.Data.Length);
            for (int i = 0; i < y.Length; i++)
                Assert.True(MathF.Abs(y[i] - r.Data[i]) < 1e-5f, $"case {n} ({I("h")}x{I("w")} window {I("wh")}x{I("ww")} -> {I("outH")}x{I("outW")}), value {i}: torch {y[i]}, engine {r.Data[i]}");
            n++;
        }
        Assert.Equal(6, n);
    }
}
