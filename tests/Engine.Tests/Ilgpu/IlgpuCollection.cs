namespace Engine.Tests.Ilgpu;

/// <summary>
/// The ILGPU tests share one CPU accelerator (64 OS threads per group, barriers between them) and run after the
/// parallel tests, alone. Run beside the CPU tests, one of them came back with an all-zero tile about once in ten
/// full runs (MatmulMatchesCpuOnOddSizes(2,128,33,64), element 0 = 0), never when the ILGPU tests ran by themselves,
/// with or without other processes loading the cores; the cause is not found (see docs/testing.md).
/// </summary>
[CollectionDefinition("ilgpu", DisableParallelization = true)]
public sealed class IlgpuCollection;
