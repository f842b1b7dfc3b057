-- expect: field 'kernel'
return {}
