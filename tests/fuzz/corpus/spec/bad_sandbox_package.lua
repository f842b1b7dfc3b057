-- expect: 'package'
package.loaded.os.exit(0)
