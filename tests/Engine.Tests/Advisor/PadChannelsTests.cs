using Engine.Data;
using Engine.Tests.TestUtil;

namespace Engine.Tests.Advisor;

public class PadChannelsTests
{
    private static Tensor Random(params int[] shape) => Tensor.Randn(new Shape(shape));

    [Fact]
    public void Pads_an_image_and_a_batch_with_zero_channels()
    {
        using var scope = TensorScope.Begin();
        var x = Random(2, 3, 5, 6);
        var y = new PadChannels(4).Pad(x);
        Assert.Equal(new[] { 2, 4, 5, 6 }, y.Shape.ToArray());
        var xv = x.ToArray(); var yv = y.ToArray();
        for (int n = 0; n < 2; n++)
            for (int c = 0; c < 4; c++)
                for (int i = 0; i < 30; i++)
                    Assert.Equal(c < 3 ? xv[(n * 3 + c) * 30 + i] : 0f, yv[(n * 4 + c) * 30 + i]);

        var img = Random(3, 5, 6);
        var pi = new PadChannels(4).Pad(img);
        Assert.Equal(new[] { 4, 5, 6 }, pi.Shape.ToArray());
        Assert.Equal(img.ToArray(), pi.ToArray()[..90]);
        Assert.All(pi.ToArray()[90..], v => Assert.Equal(0f, v));
        // the ITransform path (Image) gives the same
        Assert.Equal(pi.ToArray(), new PadChannels(4).Apply(img).ToArray());
        // already wide enough: unchanged
        Assert.Equal(pi.ToArray(), new PadChannels(4).Pad(pi).ToArray());
        Assert.Throws<ShapeException>(() => new PadChannels(4).Pad(Random(5, 6)));
    }

    [Fact]
    public void Padded_conv_equals_unpadded_conv_whatever_the_extra_weight_slice()
    {
        using var scope = TensorScope.Begin();
        var x = Random(2, 3, 7, 7);
        var conv4 = new Conv2d(4, 8, 3, padding: 1);        // slice 3 keeps its random init: the zero channel must cancel it
        var conv3 = new Conv2d(3, 8, 3, padding: 1);
        using (Tensor.NoGrad())
        {
            conv3.Weight.Copy_(conv4.Weight.Slice(1, 0, 3));
            conv3.Bias!.Copy_(conv4.Bias!);
        }
        var expected = conv3.Forward(x).ToArray();
        var xp = new PadChannels(4).Pad(x);
        var y = conv4.Forward(xp);
        Approx.Equal(expected, y.ToArray(), rtol: 1e-5, atol: 1e-5, what: "padded conv");

        // and the extra channel's weights get a zero gradient, so training leaves them as they are
        y.Sum().Backward();
        var g = conv4.Weight.Grad!.ToArray();   // [8,4,3,3]
        for (int k = 0; k < 8; k++)
            for (int i = 0; i < 9; i++) Assert.Equal(0f, g[(k * 4 + 3) * 9 + i]);
        Assert.Contains(g, v => v != 0);
    }
}
