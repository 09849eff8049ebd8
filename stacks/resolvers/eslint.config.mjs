// The APPSYNC_JS runtime's restrictions, checked by @aws-appsync/eslint-plugin's recommended rules
// (tests/resolvers/test_appsync_lint.py runs this in `make test`). The recommended set needs type
// information: tsconfig.json beside this file makes TypeScript read these JS files.
import appsync from '@aws-appsync/eslint-plugin';

export default [
  { files: ['*.js'], languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } } },
  { ...appsync.configs.recommended, files: ['*.js'] },
];
