using System.Buffers.Binary;
using System.Text;

namespace Engine.TorchFormat;

// The values a torch.save pickle is made of, once read. Python's None is null, bool is bool, int is long,
// float is double, str is string, bytes is byte[].

/// <summary>A Python tuple.</summary>
internal sealed record PyTuple(object?[] Items);

/// <summary>A Python list.</summary>
internal sealed class PyList { public readonly List<object?> Items = []; }

/// <summary>A Python dict or collections.OrderedDict: items in insertion order (as Python keeps them).</summary>
internal sealed class PyDict
{
    public readonly List<KeyValuePair<object?, object?>> Items = [];
    private readonly Dictionary<object, int> _index = [];

    /// <summary>d[key] = value: replaces the value of an equal key in place, as Python does.</summary>
    public void Set(object? key, object? value)
    {
        // Keys compare by value for str/int/bool (what state dicts use); any other key is kept by identity.
        if (key is string or long or bool or double)
        {
            if (_index.TryGetValue(key, out int i)) { Items[i] = new(key, value); return; }
            _index[key] = Items.Count;
        }
        Items.Add(new(key, value));
    }
}

/// <summary>A global that the allow-list admitted (module + name, e.g. torch._utils._rebuild_tensor_v2).</summary>
internal sealed record PyGlobal(string Module, string Name)
{
    public override string ToString() => $"{Module}.{Name}";
}

/// <summary>A storage record named by a persistent id: ('storage', torch.FloatStorage, key, location, numel).</summary>
internal sealed record StorageRef(string Type, string Key, string Location, long Numel);

/// <summary>torch._utils._rebuild_tensor_v2(storage, storage_offset, size, stride, ...): a view of a storage.</summary>
internal sealed record TensorRef(StorageRef Storage, long Offset, long[] Size, long[] Stride);

/// <summary>
/// A pickle reader for the <c>data.pkl</c> of a <c>torch.save</c> zip that never runs code: it implements the
/// opcodes of protocols 2 to 5 that plain data needs (numbers, strings, bytes, tuples, lists, dicts, the memo) and
/// admits only the globals a state dict is made of. Any other global (<c>posix system</c>, <c>builtins eval</c>, a
/// user's class) is refused at the GLOBAL opcode, before anything could call it, with an error naming it; the
/// opcodes that build arbitrary objects (NEWOBJ, INST, OBJ, EXT) are refused too.
/// </summary>
/// <remarks>
/// Every length is checked against the bytes left, every pop against the stack and its marks, every memo key
/// against the memo, so a damaged or hostile pickle is one <see cref="InvalidDataException"/> naming the
/// file, the byte offset and the problem. Allocation is bounded by the pickle's own size.
/// </remarks>
internal sealed class RestrictedUnpickler
{
    /// <summary>torch's storage classes (the element type of a storage record) and their element size in bytes.</summary>
    public static readonly IReadOnlyDictionary<string, int> StorageTypes = new Dictionary<string, int>
    {
        ["FloatStorage"] = 4, ["HalfStorage"] = 2, ["BFloat16Storage"] = 2, ["DoubleStorage"] = 8,
        ["LongStorage"] = 8, ["IntStorage"] = 4, ["ShortStorage"] = 2, ["CharStorage"] = 1,
        ["ByteStorage"] = 1, ["BoolStorage"] = 1,
    };

    // The allow-list: what a state dict (or a training checkpoint dict around one) needs, and nothing else.
    private static readonly HashSet<string> AllowedGlobals =
    [
        "collections.OrderedDict",
        "torch._utils._rebuild_tensor_v2",
        "torch._utils._rebuild_parameter",
        "torch._utils._rebuild_parameter_with_state",
        "torch.device",
        .. StorageTypes.Keys.Select(k => "torch." + k),
    ];

    private readonly string _file;
    private readonly byte[] _data;
    private int _pos;
    private int _opAt;
    private readonly List<object?> _stack = [];
    private readonly List<int> _marks = [];
    private readonly Dictionary<long, object?> _memo = [];

    private RestrictedUnpickler(string file, byte[] data) { _file = file; _data = data; }

    /// <summary>Reads one pickle from data and returns its value. file only names the source in errors.</summary>
    public static object? Load(string file, byte[] data) => new RestrictedUnpickler(file, data).Run();

    private object? Run()
    {
        while (true)
        {
            _opAt = _pos;
            byte op = U8();
            switch (op)
            {
                case 0x80: { int proto = U8(); if (proto > 5) throw Fail($"pickle protocol {proto} is newer than 5"); break; }   // PROTO
                case 0x95: Take(8); break;                                  // FRAME: a length hint, the data follows inline
                case (byte)'.':                                             // STOP
                    if (_marks.Count > 0) throw Fail("STOP inside an open MARK");
                    if (_stack.Count != 1) throw Fail($"STOP with {_stack.Count} values on the stack (expected exactly 1)");
                    return Pop();
                case (byte)'(': _marks.Add(_stack.Count); break;            // MARK
                case (byte)'0': Pop(); break;                               // POP
                case (byte)'1': PopMark(); break;                           // POP_MARK
                case (byte)'2': Push(Peek()); break;                        // DUP
                case (byte)'N': Push(null); break;                          // NONE
                case 0x88: Push(true); break;                               // NEWTRUE
                case 0x89: Push(false); break;                              // NEWFALSE
                case (byte)'J': Push((long)BinaryPrimitives.ReadInt32LittleEndian(Take(4))); break;   // BININT
                case (byte)'K': Push((long)U8()); break;                                             // BININT1
                case (byte)'M': Push((long)BinaryPrimitives.ReadUInt16LittleEndian(Take(2))); break;  // BININT2
                case 0x8a: Push(Long(U8())); break;                                                  // LONG1
                case 0x8b: Push(Long(Length(BinaryPrimitives.ReadInt32LittleEndian(Take(4))))); break; // LONG4
                case (byte)'G': Push(BinaryPrimitives.ReadDoubleBigEndian(Take(8))); break;          // BINFLOAT
                case (byte)'X': Push(Utf8(Take(Length(BinaryPrimitives.ReadUInt32LittleEndian(Take(4)))))); break;   // BINUNICODE
                case 0x8c: Push(Utf8(Take(U8()))); break;                                                            // SHORT_BINUNICODE
                case 0x8d: Push(Utf8(Take(Length(BinaryPrimitives.ReadUInt64LittleEndian(Take(8)))))); break;        // BINUNICODE8
                case (byte)'T': Push(Encoding.Latin1.GetString(Take(Length(BinaryPrimitives.ReadInt32LittleEndian(Take(4)))))); break; // BINSTRING
                case (byte)'U': Push(Encoding.Latin1.GetString(Take(U8()))); break;                                  // SHORT_BINSTRING
                case (byte)'B': Push(Take(Length(BinaryPrimitives.ReadUInt32LittleEndian(Take(4)))).ToArray()); break; // BINBYTES
                case (byte)'C': Push(Take(U8()).ToArray()); break;                                                   // SHORT_BINBYTES
                case 0x8e: Push(Take(Length(BinaryPrimitives.ReadUInt64LittleEndian(Take(8)))).ToArray()); break;   // BINBYTES8
                case (byte)')': Push(new PyTuple([])); break;               // EMPTY_TUPLE
                case (byte)'t': Push(new PyTuple(PopToMark())); break;      // TUPLE
                case 0x85: { var a = Pop(); Push(new PyTuple([a])); break; }                                  // TUPLE1
                case 0x86: { var b = Pop(); var a = Pop(); Push(new PyTuple([a, b])); break; }                // TUPLE2
                case 0x87: { var c = Pop(); var b = Pop(); var a = Pop(); Push(new PyTuple([a, b, c])); break; } // TUPLE3
                case (byte)']': Push(new PyList()); break;                  // EMPTY_LIST
                case (byte)'l': { var l = new PyList(); l.Items.AddRange(PopToMark()); Push(l); break; }      // LIST
                case (byte)'a': { var v = Pop(); As<PyList>(Peek(), "APPEND").Items.Add(v); break; }         // APPEND
                case (byte)'e': { var vs = PopToMark(); As<PyList>(Peek(), "APPENDS").Items.AddRange(vs); break; } // APPENDS
                case (byte)'}': Push(new PyDict()); break;                  // EMPTY_DICT
                case (byte)'d': { var d = new PyDict(); SetItems(d, PopToMark()); Push(d); break; }          // DICT
                case (byte)'s': { var v = Pop(); var k = Pop(); As<PyDict>(Peek(), "SETITEM").Set(k, v); break; } // SETITEM
                case (byte)'u': { var kv = PopToMark(); SetItems(As<PyDict>(Peek(), "SETITEMS"), kv); break; }   // SETITEMS
                case (byte)'c': { string module = Line(); string name = Line(); Push(Global(module, name)); break; } // GLOBAL
                case 0x93: { var name = Pop(); var module = Pop(); Push(Global(As<string>(module, "STACK_GLOBAL"), As<string>(name, "STACK_GLOBAL"))); break; }
                case (byte)'R': { var args = As<PyTuple>(Pop(), "REDUCE").Items; var f = Pop(); Push(Reduce(f, args)); break; } // REDUCE
                case (byte)'b': { var state = Pop(); Build(Peek(), state); break; }                          // BUILD
                case (byte)'Q': Push(PersistentLoad(Pop())); break;        // BINPERSID
                case (byte)'q': _memo[U8()] = Peek(); break;                // BINPUT
                case (byte)'r': _memo[BinaryPrimitives.ReadUInt32LittleEndian(Take(4))] = Peek(); break;     // LONG_BINPUT
                case 0x94: _memo[_memo.Count] = Peek(); break;              // MEMOIZE
                case (byte)'h': Push(Memo(U8())); break;                    // BINGET
                case (byte)'j': Push(Memo(BinaryPrimitives.ReadUInt32LittleEndian(Take(4)))); break;         // LONG_BINGET
                case 0x81 or 0x92 or (byte)'i' or (byte)'o' or 0x82 or 0x83 or 0x84:
                    throw Fail($"opcode {OpName(op)} builds an arbitrary Python object, which a state dict never needs; refused");
                default:
                    throw Fail($"opcode 0x{op:x2} ({OpName(op)}) is not one Engine reads (a state dict pickle uses protocol 2 data opcodes only)");
            }
        }
    }

    // ---- the allow-listed globals and what calling them means -------------------------------------------

    private PyGlobal Global(string module, string name)
    {
        string full = $"{module}.{name}";
        if (!AllowedGlobals.Contains(full))
            throw Fail($"refers to the Python global '{module} {name}' ({full}), which is not allowed: only the globals of a state dict are "
                + "(torch._utils._rebuild_tensor_v2, torch._utils._rebuild_parameter, the torch.*Storage types, collections.OrderedDict, torch.device). "
                + "Nothing was run; a file that needs other code is not a plain state dict");
        return new PyGlobal(module, name);
    }

    private object? Reduce(object? callable, object?[] args)
    {
        if (callable is not PyGlobal g) throw Fail($"REDUCE calls a {TypeName(callable)}, not an allowed global");
        switch (g.ToString())
        {
            case "collections.OrderedDict":
            {
                var d = new PyDict();
                if (args.Length == 0) return d;
                // OrderedDict([(k, v), ...]): a list of pairs.
                if (args.Length != 1 || args[0] is not PyList pairs) throw Fail("collections.OrderedDict takes no argument or one list of (key, value) pairs");
                foreach (var p in pairs.Items)
                {
                    if (p is not PyTuple { Items.Length: 2 } kv) throw Fail("collections.OrderedDict pair is not a 2-tuple");
                    d.Set(kv.Items[0], kv.Items[1]);
                }
                return d;
            }
            case "torch._utils._rebuild_tensor_v2":
            {
                // (storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
                if (args.Length is < 6 or > 7) throw Fail($"_rebuild_tensor_v2 takes 6 or 7 arguments, got {args.Length}");
                var storage = args[0] as StorageRef ?? throw Fail($"_rebuild_tensor_v2's storage is a {TypeName(args[0])}, not a storage record");
                long offset = args[1] is long o ? o : throw Fail($"_rebuild_tensor_v2's storage_offset is a {TypeName(args[1])}, not an int");
                var size = Ints(args[2], "size");
                var stride = Ints(args[3], "stride");
                if (size.Length != stride.Length) throw Fail($"_rebuild_tensor_v2 has {size.Length} sizes but {stride.Length} strides");
                return new TensorRef(storage, offset, size, stride);
            }
            case "torch._utils._rebuild_parameter":
            case "torch._utils._rebuild_parameter_with_state":
                // (data, requires_grad, backward_hooks[, state]): a Parameter is its data for a state dict.
                if (args.Length < 1 || args[0] is not TensorRef t) throw Fail($"{g.Name} needs a tensor as its first argument");
                return t;
            case "torch.device":
                // torch.device('cpu') or ('cuda', 0): only a name; where tensors end up is the caller's choice.
                if (args.Length is < 1 or > 2 || args[0] is not string dev) throw Fail("torch.device takes a device name");
                return args.Length == 2 ? $"{dev}:{args[1]}" : dev;
            default:
                throw Fail($"{g} is a storage type, not something to call");
        }
    }

    // BUILD: obj.__setstate__(state). Only a dict's attributes (an OrderedDict's _metadata) are accepted, and
    // they are dropped: the version numbers in _metadata describe PyTorch modules, not the tensors.
    private void Build(object? target, object? state)
    {
        if (target is PyDict && state is PyDict or null) return;
        if (target is TensorRef) return;   // _rebuild_parameter_with_state's Python attributes: not tensor data
        throw Fail($"BUILD sets the state of a {TypeName(target)}, which a state dict never does");
    }

    // A persistent id names a storage record: ('storage', storage_type, key, location, numel).
    private StorageRef PersistentLoad(object? pid)
    {
        if (pid is not PyTuple { Items: var t } || t.Length != 5 || t[0] is not "storage")
            throw Fail($"persistent id is not ('storage', type, key, location, numel) but a {TypeName(pid)}");
        if (t[1] is not PyGlobal { Module: "torch" } type || !StorageTypes.ContainsKey(type.Name))
            throw Fail($"persistent id names storage type {t[1]}, not one of torch.{string.Join("/", StorageTypes.Keys)}");
        if (t[2] is not string key) throw Fail("persistent id's storage key is not a string");
        string location = t[3] as string ?? throw Fail("persistent id's location is not a string");
        if (t[4] is not long numel || numel < 0) throw Fail($"persistent id of storage '{key}' declares {t[4]} elements, not a count");
        return new StorageRef(type.Name, key, location, numel);
    }

    // ---- stack, memo and reading, all bounds-checked ----------------------------------------------------

    private void Push(object? v) => _stack.Add(v);

    private object? Peek()
    {
        if (_stack.Count == 0 || (_marks.Count > 0 && _marks[^1] == _stack.Count)) throw Fail("reads a value from an empty stack");
        return _stack[^1];
    }

    private object? Pop()
    {
        var v = Peek();
        _stack.RemoveAt(_stack.Count - 1);
        return v;
    }

    private object?[] PopToMark()
    {
        if (_marks.Count == 0) throw Fail("needs a MARK and there is none");
        int at = _marks[^1];
        _marks.RemoveAt(_marks.Count - 1);
        var items = _stack.GetRange(at, _stack.Count - at).ToArray();
        _stack.RemoveRange(at, _stack.Count - at);
        return items;
    }

    private void PopMark() => PopToMark();

    private object? Memo(long key) => _memo.TryGetValue(key, out var v) ? v : throw Fail($"reads memo entry {key}, which was never stored");

    private void SetItems(PyDict d, object?[] kv)
    {
        if (kv.Length % 2 != 0) throw Fail($"sets dict items from an odd number ({kv.Length}) of values");
        for (int i = 0; i < kv.Length; i += 2) d.Set(kv[i], kv[i + 1]);
    }

    private byte U8()
    {
        if (_pos >= _data.Length) throw Fail("ends without a STOP opcode (truncated)");
        return _data[_pos++];
    }

    private ReadOnlySpan<byte> Take(int n)
    {
        if (n > _data.Length - _pos) throw Fail($"needs {n} more bytes but only {_data.Length - _pos} remain (truncated)");
        var s = _data.AsSpan(_pos, n);
        _pos += n;
        return s;
    }

    private int Length(long n) => n < 0 || n > _data.Length - _pos
        ? throw Fail($"declares a length of {n} bytes but only {_data.Length - _pos} remain")
        : (int)n;

    private int Length(ulong n) => n > (ulong)(_data.Length - _pos) ? throw Fail($"declares a length of {n} bytes but only {_data.Length - _pos} remain") : (int)n;

    // A GLOBAL's module and name: text up to a newline, short and printable.
    private string Line()
    {
        int end = Array.IndexOf(_data, (byte)'\n', _pos, Math.Min(256, _data.Length - _pos));
        if (end < 0) throw Fail("has a GLOBAL name without an end of line within 256 bytes");
        var s = Utf8(_data.AsSpan(_pos, end - _pos));
        _pos = end + 1;
        return s;
    }

    private string Utf8(ReadOnlySpan<byte> b) => System.Text.Unicode.Utf8.IsValid(b) ? Encoding.UTF8.GetString(b) : throw Fail("has a string that is not valid UTF-8");

    // LONG1/LONG4: little-endian two's complement of n bytes; Engine needs no integer beyond 64 bits.
    private long Long(int n)
    {
        var b = Take(n);
        if (n == 0) return 0;
        if (n > 8) throw Fail($"has a {n}-byte integer, larger than 64 bits");
        long v = (b[n - 1] & 0x80) != 0 ? -1L : 0L;
        for (int i = n - 1; i >= 0; i--) v = (v << 8) | b[i];
        return v;
    }

    private long[] Ints(object? v, string what)
    {
        if (v is not PyTuple t) throw Fail($"_rebuild_tensor_v2's {what} is a {TypeName(v)}, not a tuple");
        var r = new long[t.Items.Length];
        for (int i = 0; i < r.Length; i++) r[i] = t.Items[i] is long x ? x : throw Fail($"_rebuild_tensor_v2's {what}[{i}] is a {TypeName(t.Items[i])}, not an int");
        return r;
    }

    private T As<T>(object? v, string op) where T : class => v as T ?? throw Fail($"{op} expects a {typeof(T).Name.Replace("Py", "").ToLowerInvariant()} but finds a {TypeName(v)}");

    internal static string TypeName(object? v) => v switch
    {
        null => "None", bool => "bool", long => "int", double => "float", string => "str", byte[] => "bytes",
        PyTuple => "tuple", PyList => "list", PyDict => "dict", PyGlobal g => $"global {g}",
        StorageRef => "storage", TensorRef => "tensor", _ => v.GetType().Name,
    };

    private static string OpName(byte op) => op switch
    {
        0x81 => "NEWOBJ", 0x92 => "NEWOBJ_EX", (byte)'i' => "INST", (byte)'o' => "OBJ", 0x82 => "EXT1", 0x83 => "EXT2", 0x84 => "EXT4",
        (byte)'P' => "PERSID", (byte)'I' => "INT", (byte)'L' => "LONG", (byte)'F' => "FLOAT", (byte)'S' => "STRING", (byte)'V' => "UNICODE",
        (byte)'g' => "GET", (byte)'p' => "PUT", 0x8f => "EMPTY_SET", 0x90 => "ADDITEMS", 0x91 => "FROZENSET", 0x96 => "BYTEARRAY8",
        0x97 => "NEXT_BUFFER", 0x98 => "READONLY_BUFFER",
        _ => "unknown",
    };

    private InvalidDataException Fail(string problem) => new($"PyTorch checkpoint '{_file}': data.pkl at byte {_opAt}: {problem}");
}
