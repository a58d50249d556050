namespace Engine.Functions;

// y = x copied to another device        dx = dy copied back
internal sealed class Transfer : Function
{
    private Device _from = Device.Cpu;

    public static Tensor Forward(Tensor x, Device to)
    {
        Tensor y;
        if (x.DType == DType.Int32) y = Tensor.Create(to.Backend.Upload(x.ToIntArray()), Layout.Contiguous(x.Shape));
        else if (x.Device.IsCpu && to.IsCpu) y = Copy.Forward(x);
        else
        {
            // Through the host: download as float, upload, then restore the dtype.
            var host = x.ToArray();
            y = Tensor.Create(to.Backend.Upload(host), Layout.Contiguous(x.Shape));
            if (x.DType != DType.Float32)
            {
                var c = Tensor.Create(to.Backend.Allocate(x.DType, x.Numel, false), Layout.Contiguous(x.Shape));
                to.Backend.Copy(y, c); y.Dispose(); y = c;
            }
        }
        return Autograd.Record(new Transfer { _from = x.Device }, y, x);
    }

    protected internal override Tensor?[] Backward(Tensor dy) => [dy.To(_from)];
}
