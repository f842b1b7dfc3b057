local t = {}
for i = 1, 10 do t[#t+1] = i end
return {kernel="myo", name="loop"..#t, arity=2, depth=3, state=t[4], passes={"forward","backward"}, target={"avx2","c"}}
