using Engine.Data;

namespace Engine.Imaging;

/// <summary>
/// torchvision's <c>ToTensor</c>: 8-bit pixels [H, W, C] (row-major, channels interleaved) to a [C, H, W] float image
/// with x / 255 in [0, 1]; and an <see cref="Image"/> to a [C, H, W] tensor.
/// </summary>
public static class ToTensor
{
    /// <summary>pixels [H, W, C] bytes -> [C, H, W] floats, value / 255.</summary>
    public static Image FromHwc(ReadOnlySpan<byte> pixels, int height, int width, int channels)
    {
        if (height <= 0 || width <= 0 || channels <= 0 || (long)height * width * channels != pixels.Length)
            throw new ArgumentException($"ToTensor: {pixels.Length} bytes do not fill [{height}, {width}, {channels}]");
        var img = new Image(channels, height, width);
        int plane = height * width;
        for (int c = 0; c < channels; c++)
        {
            var dst = img.Channel(c);
            for (int p = 0; p < plane; p++) dst[p] = pixels[p * channels + c] / 255f;
        }
        return img;
    }

    /// <summary>A [C, H, W] tensor with a copy of the image's values.</summary>
    public static Tensor From(Image image) => image.ToTensor();
}
