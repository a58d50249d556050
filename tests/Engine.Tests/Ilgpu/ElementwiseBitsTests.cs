using Engine.Tests.Kernels;
using Engine.Tests.TestUtil;
using static Engine.Tests.Ilgpu.IlgpuTestKit;

namespace Engine.Tests.Ilgpu;

// The device side of Kernels/ElementwiseBitsTests: every op struct's scalar path (the one ILGPU compiles) gives the same
// bits at every position and layout, and follows PyTorch on NaN and signed zeros.
[Collection("ilgpu")]
public class ElementwiseBitsTests
{
    [Fact]
    public void EveryUnaryOpGivesTheSameBitsAtEveryPosition() => ElementwiseOps.CheckUnary(Dev);

    [Fact]
    public void EveryBinaryOpGivesTheSameBitsAtEveryPosition() => ElementwiseOps.CheckBinary(Dev);

    [Fact]
    public void NaNAndSignedZerosFollowPyTorch() => PyTorchSpecials.Check(Dev);
}
