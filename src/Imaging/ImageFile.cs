using Engine.Data;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Memory;
using SixLabors.ImageSharp.PixelFormats;
using Image = Engine.Data.Image;
using SharpImage = SixLabors.ImageSharp.Image;

namespace Engine.Imaging;

/// <summary>How decoded pixels become channels: RGB (3 channels, torchvision's default loader) or grey (1 channel).</summary>
public enum ColorMode
{
    /// <summary>3 channels R, G, B; a grey image is repeated into all three (PIL's convert("RGB")).</summary>
    Rgb,
    /// <summary>1 channel, PIL's convert("L") of colour images: L = (19595 R + 38470 G + 7471 B + 2^15) >> 16.</summary>
    Grey,
}

/// <summary>
/// Decodes PNG and JPEG files into [C,H,W] float images in [0, 1]: what torchvision's
/// <c>ToTensor()(PIL.Image.open(path).convert("RGB"))</c> gives.
/// </summary>
/// <remarks>
/// <para>The decoder is SixLabors.ImageSharp 2.1.13 (Apache-2.0, managed code). It was chosen over StbImageSharp because
/// hostile files must never crash the process: StbImageSharp is a line-by-line port of stb_image.h that works on raw
/// pointers, so a crafted file's out-of-bounds access is memory corruption rather than an exception, while ImageSharp is
/// written over bounds-checked spans, reports a bad file as an exception, and has fixed the crafted-image reports against
/// it in its 2.1.x releases (2.1.13 is the newest of the Apache-licensed line). Only the PNG and JPEG decoders are
/// registered (the smallest attack surface), and every allocation of one decode is capped.</para>
/// <para>Before decoding, the header's dimensions are checked against <see cref="MaxPixels"/>, so a small file that
/// declares a 100000 x 100000 image is refused without allocating it. Any file that is not a readable PNG or JPEG is one
/// <see cref="InvalidDataException"/> naming the file and the problem.</para>
/// <para>Against PIL (libjpeg-turbo): PNG identical; JPEG without chroma subsampling within 2 levels of 255, JPEG with
/// 4:2:0 chroma (most photos) up to about 12 levels at strong colour edges (mean 3.5 on a saturated test image), because
/// the chroma planes are upsampled differently (libjpeg's "fancy" triangle filter).</para>
/// </remarks>
public static class ImageFile
{
    /// <summary>Largest image decoded, in pixels (width x height): 64 megapixels (an 8K photo is 33).</summary>
    public const long MaxPixels = 64L << 20;

    // PNG and JPEG only; one decode may allocate at most ~1 GiB (64 MP of RGBA at 4 bytes, plus the decoder's buffers).
    private static readonly Configuration Decoders = new(new PngConfigurationModule(), new JpegConfigurationModule())
    {
        MemoryAllocator = MemoryAllocator.Create(new MemoryAllocatorOptions { AllocationLimitMegabytes = 1024 }),
    };

    /// <summary>Reads path as a [C,H,W] float image in [0, 1] (C = 3 for <see cref="ColorMode.Rgb"/>, 1 for grey).</summary>
    public static Image Read(string path, ColorMode mode = ColorMode.Rgb)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"image: file '{path}' does not exist", path);
        byte[] bytes;
        try { bytes = File.ReadAllBytes(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw new InvalidDataException($"image file '{path}' cannot be read: {e.Message}", e); }
        return Decode(bytes, path, mode);
    }

    /// <summary>Decodes the bytes of a PNG or JPEG file; name identifies it in errors.</summary>
    public static Image Decode(ReadOnlySpan<byte> bytes, string name, ColorMode mode = ColorMode.Rgb)
    {
        var (rgb, h, w) = DecodeRgb(bytes, name);
        return mode == ColorMode.Rgb ? ToTensor.FromHwc(rgb, h, w, 3) : ToTensor.FromHwc(Luma(rgb), h, w, 1);
    }

    /// <summary>Decodes to 8-bit RGB pixels, row-major [H, W, 3].</summary>
    public static (byte[] rgb, int height, int width) DecodeRgb(ReadOnlySpan<byte> bytes, string name)
    {
        if (bytes.Length == 0) throw new InvalidDataException($"image file '{name}' is empty");
        var copy = bytes.ToArray();
        try
        {
            var info = SharpImage.Identify(Decoders, copy, out var format);
            if (info == null || format == null)
                throw new InvalidDataException($"image file '{name}' is not a PNG or JPEG image (its first bytes are {Convert.ToHexString(bytes[..Math.Min(8, bytes.Length)])})");
            if ((long)info.Width * info.Height > MaxPixels || info.Width <= 0 || info.Height <= 0)
                throw new InvalidDataException($"image file '{name}' declares {info.Width} x {info.Height} pixels, more than the {MaxPixels} Engine decodes (damaged, or a decompression bomb)");
            using var img = SharpImage.Load<Rgb24>(Decoders, copy);
            var rgb = new byte[checked(img.Width * img.Height * 3)];
            img.CopyPixelDataTo(rgb);
            return (rgb, img.Height, img.Width);
        }
        catch (Exception e) when (e is not InvalidDataException and not OutOfMemoryException)
        {
            // Bad files are ImageFormatExceptions (InvalidImageContentException, UnknownImageFormatException) or
            // InvalidMemoryOperationException (the allocation cap), but a damaged stream also reaches decoder bugs: the
            // seeded fuzz test found ImageSharp 2.1.13's JPEG Identify throwing NullReferenceException on a mutated
            // file. Only ImageSharp runs inside this try, so whatever it throws is one named bad file.
            throw new InvalidDataException($"image file '{name}' cannot be decoded: {e.GetType().Name}: {e.Message}", e);
        }
    }

    // PIL's ITU-R 601-2 luma with its fixed-point rounding (ImagingConvert's rgb2l).
    private static byte[] Luma(byte[] rgb)
    {
        var l = new byte[rgb.Length / 3];
        for (int i = 0; i < l.Length; i++)
            l[i] = (byte)((rgb[3 * i] * 19595 + rgb[3 * i + 1] * 38470 + rgb[3 * i + 2] * 7471 + 0x8000) >> 16);
        return l;
    }
}
