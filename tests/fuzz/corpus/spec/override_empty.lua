--D =empty
--D name=
return {kernel="btt", name="b", arity={2,3}, state=2}
