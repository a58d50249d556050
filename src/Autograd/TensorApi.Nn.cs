namespace Engine;

public static partial class TensorApi
{
    extension(Tensor x)
    {
        /// <summary>2-D convolution of x [N,C,H,W] with weight [K,C/groups,R,S] and optional bias [K].</summary>
        public Tensor Conv2d(Tensor weight, Tensor? bias, Conv2dArgs args) => Functions.Conv2d.Forward(x, weight, bias, args);
        public Tensor MaxPool2d(Pool2dArgs args) => Functions.MaxPool2d.Forward(x, args);
        public Tensor AvgPool2d(Pool2dArgs args) => Functions.AvgPool2d.Forward(x, args);
    }
}
