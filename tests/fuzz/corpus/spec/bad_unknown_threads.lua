-- expect: field 'threads'
return {kernel="myo", name="quad", arity=4, depth=3, state=4, threads="pthreads"}
